import type { DenoisingScheduler } from './denoising-scheduler';
import type { NoiseSource } from './noise-source';
import type { SchedulerConfig } from './scheduler-config';
import { StepSequence } from './step-sequence';

export interface DpmSolverOptions {
  readonly solverOrder: number;
  readonly stochastic: boolean;
  readonly solverType: 'midpoint' | 'heun';
  readonly lowerOrderFinal: boolean;
  readonly eulerAtFinal: boolean;
  readonly finalSigmaIsZero: boolean;
}

/** The DPM-Solver++ options both multistep schedulers read, with diffusers' aliases (deis, logrho, bh1, bh2). */
export function readDpmSolverOptions(config: SchedulerConfig, maxStochasticOrder: number): DpmSolverOptions {
  const algorithm = config.choice('algorithm_type', 'dpmsolver++', ['dpmsolver++', 'sde-dpmsolver++'], { deis: 'dpmsolver++' });
  const stochastic = algorithm === 'sde-dpmsolver++';
  const solverOrder = config.integer('solver_order', 2, stochastic ? [1, 2, 3].slice(0, maxStochasticOrder) : [1, 2, 3]);
  config.requireFalse('thresholding');
  return {
    solverOrder,
    stochastic,
    solverType: config.choice('solver_type', 'midpoint', ['midpoint', 'heun'], { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' }),
    lowerOrderFinal: config.boolean('lower_order_final', true),
    eulerAtFinal: config.boolean('euler_at_final', false),
    finalSigmaIsZero: config.choice('final_sigmas_type', 'zero', ['zero', 'sigma_min']) === 'zero',
  };
}

/**
 * Multistep DPM-Solver++ (Lu et al. 2022, arXiv:2211.01095) and its SDE variant on data predictions x̂₀,
 * as diffusers' DPMSolverMultistepScheduler and EDMDPMSolverMultistepScheduler step them. Subclasses say
 * how σ maps to (α_t, σ_t) and how the model output becomes x̂₀.
 */
export abstract class MultistepDpmSolver implements DenoisingScheduler {
  abstract readonly name: string;
  abstract readonly initNoiseSigma: number;
  readonly steps: number;
  private readonly sequence: StepSequence;
  private readonly history: Float64Array[] = [];
  private lowerOrderNums = 0;

  protected constructor(
    readonly timesteps: readonly number[],
    readonly sigmas: readonly number[],
    private readonly options: DpmSolverOptions,
    private readonly noise: NoiseSource,
  ) {
    this.steps = timesteps.length;
    this.sequence = new StepSequence(this.steps);
  }

  /** (α_t, σ_t) of the noise level σ. */
  protected abstract alphaSigma(sigma: number): [number, number];
  /** Writes x̂₀ for step `stepIndex` into `into`. */
  protected abstract predictOriginal(modelOutput: Float32Array, sample: Float32Array, stepIndex: number, into: Float64Array): void;
  abstract scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;

  protected checkIndex(stepIndex: number): void {
    this.sequence.checkIndex(stepIndex);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    this.sequence.take(stepIndex, modelOutput, sample);
    const { solverOrder, lowerOrderFinal, eulerAtFinal, finalSigmaIsZero, stochastic } = this.options;
    const fewSteps = lowerOrderFinal && this.steps < 15;
    const lastStepFirstOrder = stepIndex === this.steps - 1 && (eulerAtFinal || fewSteps || finalSigmaIsZero);
    const secondLastLowered = stepIndex === this.steps - 2 && fewSteps;

    // the oldest prediction's buffer is reused for the newest
    const current = this.history.length === solverOrder ? this.history.shift()! : new Float64Array(sample.length);
    this.predictOriginal(modelOutput, sample, stepIndex, current);
    this.history.push(current);
    const noise = stochastic ? this.noise.normal(sample.length) : undefined;

    let order: number;
    if (solverOrder === 1 || this.lowerOrderNums < 1 || lastStepFirstOrder) order = 1;
    else if (solverOrder === 2 || this.lowerOrderNums < 2 || secondLastLowered) order = 2;
    else order = 3;
    if (this.lowerOrderNums < solverOrder) this.lowerOrderNums++;
    return this.update(order, stepIndex, sample, noise);
  }

  private update(order: number, stepIndex: number, sample: Float32Array, noise: Float32Array | undefined): Float32Array {
    const lambda = (sigma: number) => {
      const [alpha, sigmaT] = this.alphaSigma(sigma);
      return Math.log(alpha) - Math.log(sigmaT);
    };
    const [alphaT, sigmaT] = this.alphaSigma(this.sigmas[stepIndex + 1]);
    const [, sigmaS0] = this.alphaSigma(this.sigmas[stepIndex]);
    const h = lambda(this.sigmas[stepIndex + 1]) - lambda(this.sigmas[stepIndex]);
    const { stochastic, solverType } = this.options;
    const expMinusH = Math.exp(-h);
    const expMinus2H = Math.exp(-2 * h);
    // x_t = cSample·x + c0·D0 + c1·D1 + c2·D2 + cNoise·z (DPM-Solver++ eqs. of diffusers' update functions)
    const cSample = stochastic ? (sigmaT / sigmaS0) * expMinusH : sigmaT / sigmaS0;
    const c0 = stochastic ? alphaT * (1 - expMinus2H) : -alphaT * (expMinusH - 1);
    const cNoise = stochastic ? sigmaT * Math.sqrt(1 - expMinus2H) : 0;
    let c1 = 0;
    let c2 = 0;
    let r0 = 1;
    let r1 = 1;
    if (order >= 2) {
      r0 = (lambda(this.sigmas[stepIndex]) - lambda(this.sigmas[stepIndex - 1])) / h;
      if (order === 2 && solverType === 'midpoint') c1 = 0.5 * c0;
      else if (stochastic) c1 = alphaT * ((1 - expMinus2H) / (-2 * h) + 1);
      else c1 = alphaT * ((expMinusH - 1) / h + 1);
    }
    if (order === 3) {
      r1 = (lambda(this.sigmas[stepIndex - 1]) - lambda(this.sigmas[stepIndex - 2])) / h;
      c2 = stochastic ? alphaT * ((1 - expMinus2H - 2 * h) / (2 * h) ** 2 - 0.5) : -alphaT * ((expMinusH - 1 + h) / h ** 2 - 0.5);
    }
    const n = this.history.length;
    const m0 = this.history[n - 1];
    const m1 = order >= 2 ? this.history[n - 2] : m0;
    const m2 = order === 3 ? this.history[n - 3] : m1;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      let next = cSample * sample[i] + c0 * m0[i];
      if (order === 2) next += c1 * ((m0[i] - m1[i]) / r0);
      else if (order === 3) {
        const d10 = (m0[i] - m1[i]) / r0;
        const d11 = (m1[i] - m2[i]) / r1;
        next += c1 * (d10 + (r0 / (r0 + r1)) * (d10 - d11)) + c2 * ((d10 - d11) / (r0 + r1));
      }
      if (noise) next += cNoise * noise[i];
      out[i] = next;
    }
    return out;
  }
}
