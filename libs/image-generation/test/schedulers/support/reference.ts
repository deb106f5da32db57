// Independent float64 transcriptions of numpy and of diffusers' scheduler maths (set_timesteps, step),
// written from diffusers' scheduling_euler_discrete.py, scheduling_euler_ancestral_discrete.py,
// scheduling_dpmsolver_multistep.py and scheduling_edm_dpmsolver_multistep.py. The tests compare the
// implementation's float32 outputs against these; nothing here calls the implementation.
import type { NoiseSource } from '../../../src/schedulers';

export const RELATIVE_TOLERANCE = 1e-6;

/** |actual − expected| ≤ tol·max(|expected|, floor): relative, with an absolute floor for values near zero. */
export function expectClose(actual: number, expected: number, tol = RELATIVE_TOLERANCE, floor = 1): void {
  const bound = tol * Math.max(Math.abs(expected), floor);
  if (!(Math.abs(actual - expected) <= bound)) throw new Error(`expected ${expected}, got ${actual} (|diff| ${Math.abs(actual - expected)} > ${bound})`);
}

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = RELATIVE_TOLERANCE, floor = 1): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    try {
      expectClose(actual[i], expected[i], tol, floor);
    } catch (error) {
      throw new Error(`index ${i}: ${(error as Error).message}`, { cause: error });
    }
  }
}

// ---------- numpy ----------

/** np.linspace: step = (stop − start)/(num − 1), y = arange(num)·step + start, y[-1] = stop. */
export function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const y: number[] = [];
  for (let i = 0; i < num; i++) y.push(i * step + start);
  y[num - 1] = stop;
  return y;
}

/** np.arange(start, stop, step) for float steps. */
export function npArange(start: number, stop: number, step: number): number[] {
  const n = Math.ceil((stop - start) / step);
  const y: number[] = [];
  for (let i = 0; i < n; i++) y.push(start + i * step);
  return y;
}

/** np.round (banker's rounding). */
export function npRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** np.interp(x, arange(len(fp)), fp). */
export function npInterpIndex(x: number, fp: readonly number[]): number {
  if (x <= 0) return fp[0];
  if (x >= fp.length - 1) return fp[fp.length - 1];
  const i = Math.floor(x);
  return fp[i] + (fp[i + 1] - fp[i]) * (x - i);
}

// ---------- training noise schedule ----------

export interface BetaConfig {
  numTrainTimesteps?: number;
  betaStart?: number;
  betaEnd?: number;
  betaSchedule?: 'linear' | 'scaled_linear';
  rescaleBetasZeroSnr?: boolean;
}

export function referenceBetas(c: BetaConfig = {}): number[] {
  const T = c.numTrainTimesteps ?? 1000;
  const start = c.betaStart ?? 0.0001;
  const end = c.betaEnd ?? 0.02;
  const betas = (c.betaSchedule ?? 'linear') === 'linear' ? npLinspace(start, end, T) : npLinspace(start ** 0.5, end ** 0.5, T).map((b) => b ** 2);
  return c.rescaleBetasZeroSnr ? referenceRescaleZeroTerminalSnr(betas) : betas;
}

/** diffusers' rescale_zero_terminal_snr (Lin et al. 2023, Algorithm 1). */
export function referenceRescaleZeroTerminalSnr(betas: readonly number[]): number[] {
  const alphasBarSqrt: number[] = [];
  let cum = 1;
  for (const b of betas) {
    cum *= 1 - b;
    alphasBarSqrt.push(Math.sqrt(cum));
  }
  const a0 = alphasBarSqrt[0];
  const aT = alphasBarSqrt[alphasBarSqrt.length - 1];
  const shifted = alphasBarSqrt.map((a) => ((a - aT) * a0) / (a0 - aT));
  const alphasBar = shifted.map((a) => a ** 2);
  const alphas = alphasBar.map((a, i) => (i === 0 ? a : a / alphasBar[i - 1]));
  return alphas.map((a) => 1 - a);
}

export function referenceAlphasCumprod(c: BetaConfig = {}): number[] {
  const out: number[] = [];
  let cum = 1;
  for (const b of referenceBetas(c)) out.push((cum *= 1 - b));
  // diffusers: with zero-SNR rescaling the last ᾱ is set to 2^-24 so that σ_max is finite
  if (c.rescaleBetasZeroSnr) out[out.length - 1] = 2 ** -24;
  return out;
}

export function referenceTrainingSigmas(c: BetaConfig = {}): number[] {
  return referenceAlphasCumprod(c).map((a) => ((1 - a) / a) ** 0.5);
}

// ---------- set_timesteps ----------

export type Spacing = 'linspace' | 'leading' | 'trailing';

/** EulerDiscreteScheduler / EulerAncestralDiscreteScheduler.set_timesteps. */
export function referenceEulerTimesteps(spacing: Spacing, n: number, stepsOffset = 0, T = 1000): number[] {
  if (spacing === 'linspace') return npLinspace(0, T - 1, n).reverse();
  if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    return npArange(0, n, 1)
      .map((i) => npRound(i * ratio))
      .reverse()
      .map((t) => t + stepsOffset);
  }
  return npArange(T, 0, -T / n).map((t) => npRound(t) - 1);
}

/** DPMSolverMultistepScheduler.set_timesteps (lambda_min_clipped = −inf, so last_timestep = T). */
export function referenceDpmTimesteps(spacing: Spacing, n: number, stepsOffset = 0, T = 1000): number[] {
  if (spacing === 'linspace')
    return npLinspace(0, T - 1, n + 1)
      .map(npRound)
      .reverse()
      .slice(0, -1);
  if (spacing === 'leading') {
    const ratio = Math.floor(T / (n + 1));
    return npArange(0, n + 1, 1)
      .map((i) => npRound(i * ratio))
      .reverse()
      .slice(0, -1)
      .map((t) => t + stepsOffset);
  }
  return npArange(T, 0, -T / n).map((t) => npRound(t) - 1);
}

/** _convert_to_karras over ramp = linspace(0, 1, n). */
export function referenceKarras(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** _sigma_to_t: cumsum(dists >= 0).argmax() clipped, then linear interpolation in log σ. */
export function referenceSigmaToT(sigma: number, logSigmas: readonly number[]): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let cum = 0;
  let best = -1;
  let lowIdx = 0;
  for (let i = 0; i < logSigmas.length; i++) {
    if (logSigma - logSigmas[i] >= 0) cum++;
    if (cum > best) {
      best = cum;
      lowIdx = i;
    }
  }
  lowIdx = Math.min(lowIdx, logSigmas.length - 2);
  const low = logSigmas[lowIdx];
  const high = logSigmas[lowIdx + 1];
  const w = Math.min(Math.max((low - logSigma) / (low - high), 0), 1);
  return (1 - w) * lowIdx + w * (lowIdx + 1);
}

// ---------- fixed tensors and fake noise ----------

/** A small fixed float32 tensor: values in about [−2.5, 2.5], seeded by `k`. */
export function fixedTensor(length: number, k: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => 2.5 * Math.sin(1.3 * i + 0.7 * k + 0.1));
}

/** A deterministic NoiseSource that records every draw (a float32 stream of a fixed pattern). */
export class FakeNoise implements NoiseSource {
  readonly draws: Float32Array[] = [];
  private counter = 0;
  normal(count: number): Float32Array {
    const out = Float32Array.from({ length: count }, () => Math.cos(2.1 * this.counter++ + 0.3));
    this.draws.push(out);
    return out;
  }
}

/** The float64 value of a step output once it is stored as the next float32 sample (the pipeline keeps float32 latents). */
export function toFloat32(values: readonly number[]): Float32Array {
  return Float32Array.from(values);
}
