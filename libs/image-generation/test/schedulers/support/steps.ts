// Float64 transcriptions of diffusers' step() maths. Inputs are the float32 tensors the scheduler sees;
// every expected next sample is computed in float64 from them.

import type { DenoisingScheduler } from '../../../src/schedulers';
import { expectAllClose } from './reference';

export type Prediction = 'epsilon' | 'v_prediction' | 'sample';

/** Steps the scheduler through the model outputs from x0, checking every sample against the reference's. */
export function expectSteps(scheduler: DenoisingScheduler, x0: Float32Array, outputs: readonly Float32Array[], expected: readonly ArrayLike<number>[]): void {
  let sample = x0;
  for (let i = 0; i < expected.length; i++) {
    sample = scheduler.step(outputs[i], i, sample);
    expectAllClose(sample, expected[i]);
  }
}

/** Euler's pred_original_sample on the VP-as-VE parameterisation (x = x₀ + σε, model input x/√(σ²+1)). */
export function eulerDenoised(prediction: Prediction, sigma: number, x: number, m: number): number {
  if (prediction === 'epsilon') return x - sigma * m;
  if (prediction === 'v_prediction') return m * (-sigma / (sigma ** 2 + 1) ** 0.5) + x / (sigma ** 2 + 1);
  return m;
}

/** EulerDiscreteScheduler.step with s_churn = 0: x + (x − x̂₀)/σ · (σ_next − σ). */
export function referenceEulerStep(prediction: Prediction, sigma: number, sigmaNext: number, sample: ArrayLike<number>, output: ArrayLike<number>): number[] {
  return Array.from({ length: sample.length }, (_, i) => {
    const derivative = (sample[i] - eulerDenoised(prediction, sigma, sample[i], output[i])) / sigma;
    return sample[i] + derivative * (sigmaNext - sigma);
  });
}

/** EulerAncestralDiscreteScheduler: σ_up = √(σ_to²(σ_from² − σ_to²)/σ_from²), σ_down = √(σ_to² − σ_up²). */
export function ancestralSigmas(from: number, to: number): { up: number; down: number } {
  const up = ((to ** 2 * (from ** 2 - to ** 2)) / from ** 2) ** 0.5;
  return { up, down: (to ** 2 - up ** 2) ** 0.5 };
}

export function referenceAncestralStep(
  prediction: Prediction,
  from: number,
  to: number,
  sample: ArrayLike<number>,
  output: ArrayLike<number>,
  noise: ArrayLike<number>,
): number[] {
  const { up, down } = ancestralSigmas(from, to);
  return Array.from({ length: sample.length }, (_, i) => {
    const derivative = (sample[i] - eulerDenoised(prediction, from, sample[i], output[i])) / from;
    return sample[i] + derivative * (down - from) + noise[i] * up;
  });
}

export interface MultistepReference {
  /** sigmas[0..n], the last being the final σ. */
  sigmas: readonly number[];
  /** _sigma_to_alpha_sigma_t. */
  alphaSigma: (sigma: number) => [number, number];
  /** convert_model_output for dpmsolver++: x̂₀ from the model output at σ. */
  denoise: (sigma: number, x: number, m: number) => number;
  solverOrder: 1 | 2;
  solverType: 'midpoint' | 'heun';
  lowerOrderFinal: boolean;
  eulerAtFinal: boolean;
  finalSigmasZero: boolean;
}

/**
 * DPMSolverMultistepScheduler / EDMDPMSolverMultistepScheduler.step for dpmsolver++ of order ≤ 2, over a
 * whole sequence: `outputs[i]` is the model output at step i. Each step's result is rounded to float32
 * (as the implementation returns, and as the next step's sample is fed), the maths is float64.
 * Returns every step's result and the order each step used.
 */
export function referenceMultistep(ref: MultistepReference, x0: Float32Array, outputs: readonly Float32Array[]): { samples: Float32Array[]; orders: number[] } {
  const n = ref.sigmas.length - 1;
  const lambda = (sigma: number) => {
    const [a, s] = ref.alphaSigma(sigma);
    return Math.log(a) - Math.log(s);
  };
  const modelOutputs: number[][] = [];
  let lowerOrderNums = 0;
  let sample = x0;
  const samples: Float32Array[] = [];
  const orders: number[] = [];
  for (let i = 0; i < n; i++) {
    const lowerOrderFinal = i === n - 1 && (ref.eulerAtFinal || (ref.lowerOrderFinal && n < 15) || ref.finalSigmasZero);
    const s = ref.sigmas[i];
    const d = Array.from(sample, (x, k) => ref.denoise(s, x, outputs[i][k]));
    modelOutputs.push(d);
    const order = ref.solverOrder === 1 || lowerOrderNums < 1 || lowerOrderFinal ? 1 : 2;
    const [alphaT, sigmaT] = ref.alphaSigma(ref.sigmas[i + 1]);
    const [, sigmaS0] = ref.alphaSigma(s);
    const h = lambda(ref.sigmas[i + 1]) - lambda(s);
    let next: number[];
    if (order === 1) {
      // dpm_solver_first_order_update: x_t = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·x̂₀
      next = Array.from(sample, (x, k) => (sigmaT / sigmaS0) * x - alphaT * (Math.exp(-h) - 1) * d[k]);
    } else {
      // multistep_dpm_solver_second_order_update
      const m0 = modelOutputs[modelOutputs.length - 1];
      const m1 = modelOutputs[modelOutputs.length - 2];
      const h0 = lambda(s) - lambda(ref.sigmas[i - 1]);
      const r0 = h0 / h;
      next = Array.from(sample, (x, k) => {
        const D0 = m0[k];
        const D1 = (1 / r0) * (m0[k] - m1[k]);
        const base = (sigmaT / sigmaS0) * x - alphaT * (Math.exp(-h) - 1) * D0;
        return ref.solverType === 'midpoint' ? base - 0.5 * (alphaT * (Math.exp(-h) - 1)) * D1 : base + alphaT * ((Math.exp(-h) - 1) / h + 1) * D1;
      });
    }
    if (lowerOrderNums < ref.solverOrder) lowerOrderNums++;
    orders.push(order);
    sample = Float32Array.from(next);
    samples.push(sample);
  }
  return { samples, orders };
}

/** The VP schedule as DPMSolverMultistepScheduler sees σ: α_t = 1/√(σ²+1), σ_t = σ·α_t. */
export function vpAlphaSigma(sigma: number): [number, number] {
  const alpha = 1 / (sigma ** 2 + 1) ** 0.5;
  return [alpha, sigma * alpha];
}

/** DPMSolverMultistepScheduler.convert_model_output for dpmsolver++. */
export function vpDenoise(prediction: Prediction): (sigma: number, x: number, m: number) => number {
  return (sigma, x, m) => {
    const [alpha, sigmaT] = vpAlphaSigma(sigma);
    if (prediction === 'epsilon') return (x - sigmaT * m) / alpha;
    if (prediction === 'v_prediction') return alpha * x - sigmaT * m;
    return m;
  };
}

/** EDM preconditioning (Karras et al. 2022, Table 1): c_skip = σd²/(σ²+σd²), c_out = ±σσd/√(σ²+σd²). */
export function edmDenoise(sigmaData: number, prediction: 'epsilon' | 'v_prediction'): (sigma: number, x: number, m: number) => number {
  return (sigma, x, m) => {
    const cSkip = sigmaData ** 2 / (sigma ** 2 + sigmaData ** 2);
    const cOut = ((prediction === 'epsilon' ? 1 : -1) * sigma * sigmaData) / (sigma ** 2 + sigmaData ** 2) ** 0.5;
    return cSkip * x + cOut * m;
  };
}
