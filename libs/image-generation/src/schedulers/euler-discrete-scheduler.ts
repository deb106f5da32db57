import type { DenoisingScheduler } from './denoising-scheduler';
import type { SchedulerConfig } from './scheduler-config';
import { interpolateAtIndex } from './numpy-ops';
import { karrasSigmas, sigmaToTimestep, unitRamp } from './sigma-schedules';
import { checkStepCount, StepSequence } from './step-sequence';
import { eulerTimesteps, readTimestepSpacing } from './timestep-spacing';
import { trainingNoiseSchedule } from './training-noise-schedule';

export type EulerPrediction = 'epsilon' | 'v_prediction' | 'sample';

/** Euler (Karras et al. 2022, Algorithm 2 without churn), as diffusers' EulerDiscreteScheduler. */
export class EulerDiscreteScheduler implements DenoisingScheduler {
  readonly name: string = 'EulerDiscreteScheduler';
  readonly steps: number;
  readonly timesteps: readonly number[];
  readonly sigmas: readonly number[];
  readonly initNoiseSigma: number;
  protected readonly prediction: EulerPrediction;
  protected readonly sequence: StepSequence;

  constructor(config: SchedulerConfig, steps: number, options: { ancestral: boolean } = { ancestral: false }) {
    const training = trainingNoiseSchedule(config);
    checkStepCount(steps, training.numTrainTimesteps);
    this.prediction = options.ancestral
      ? config.choice<EulerPrediction>('prediction_type', 'epsilon', ['epsilon', 'v_prediction'])
      : config.choice<EulerPrediction>('prediction_type', 'epsilon', ['epsilon', 'v_prediction', 'sample'], { original_sample: 'sample' });
    const { spacing, stepsOffset } = readTimestepSpacing(config);
    let timesteps = eulerTimesteps(spacing, stepsOffset, training.numTrainTimesteps, steps);
    let sigmas = timesteps.map((t) => interpolateAtIndex(training.sigmas, t));
    let finalSigma = 0;
    if (!options.ancestral) {
      config.choice('interpolation_type', 'linear', ['linear']);
      config.requireFalse('use_exponential_sigmas');
      config.requireFalse('use_beta_sigmas');
      if (config.boolean('use_karras_sigmas', false)) {
        const sigmaMin = config.optionalNumber('sigma_min') ?? sigmas[sigmas.length - 1];
        const sigmaMax = config.optionalNumber('sigma_max') ?? sigmas[0];
        sigmas = karrasSigmas(unitRamp(sigmas.length), sigmaMin, sigmaMax);
        const logSigmas = training.sigmas.map(Math.log);
        timesteps = sigmas.map((sigma) => sigmaToTimestep(sigma, logSigmas));
      }
      const finalType = config.choice('final_sigmas_type', 'zero', ['zero', 'sigma_min']);
      if (finalType === 'sigma_min') finalSigma = training.sigmas[0];
      const timestepType = config.choice('timestep_type', 'discrete', ['discrete', 'continuous']);
      if (timestepType === 'continuous' && this.prediction === 'v_prediction') timesteps = sigmas.map((sigma) => 0.25 * Math.log(sigma));
    }
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, finalSigma];
    this.steps = timesteps.length;
    this.sequence = new StepSequence(this.steps);
    const maxSigma = Math.max(...this.sigmas);
    this.initNoiseSigma = spacing === 'leading' ? Math.sqrt(maxSigma * maxSigma + 1) : maxSigma;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    this.sequence.checkIndex(stepIndex);
    const sigma = this.sigmas[stepIndex];
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i] * scale;
    return out;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    this.sequence.take(stepIndex, modelOutput, sample);
    const sigma = this.sigmas[stepIndex];
    return this.eulerStep(modelOutput, sample, sigma, this.sigmas[stepIndex + 1], 0);
  }

  /**
   * x ← x + (x − x̂₀)/σ · (σ_down − σ), plus σ_up·noise when `sigmaUp` > 0 (`noise` then holds it).
   * x̂₀ is epsilon: x − σε; v: −σ/√(σ²+1)·v + x/(σ²+1); sample: the output itself.
   */
  protected eulerStep(modelOutput: Float32Array, sample: Float32Array, sigma: number, sigmaDown: number, sigmaUp: number, noise?: Float32Array): Float32Array {
    const out = new Float32Array(sample.length);
    const ratio = (sigmaDown - sigma) / sigma;
    const vOut = -sigma / Math.sqrt(sigma * sigma + 1);
    const vSkip = 1 / (sigma * sigma + 1);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      const denoised = this.prediction === 'epsilon' ? x - sigma * m : this.prediction === 'v_prediction' ? m * vOut + x * vSkip : m;
      let next = x + (x - denoised) * ratio;
      if (noise) next += noise[i] * sigmaUp;
      out[i] = next;
    }
    return out;
  }
}
