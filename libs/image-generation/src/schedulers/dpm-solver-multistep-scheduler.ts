import type { NoiseSource } from './noise-source';
import type { SchedulerConfig } from './scheduler-config';
import { MultistepDpmSolver, readDpmSolverOptions } from './multistep-dpm-solver';
import { interpolateAtIndex, roundHalfEven } from './numpy-ops';
import { karrasSigmas, sigmaToTimestep, unitRamp } from './sigma-schedules';
import { checkStepCount } from './step-sequence';
import { dpmSolverTimesteps, readTimestepSpacing } from './timestep-spacing';
import { trainingNoiseSchedule } from './training-noise-schedule';

type DpmPrediction = 'epsilon' | 'v_prediction' | 'sample';

/** diffusers' DPMSolverMultistepScheduler on the VP schedule (α = 1/√(σ²+1)), DPM-Solver++ and its SDE variant. */
export class DpmSolverMultistepScheduler extends MultistepDpmSolver {
  readonly name = 'DPMSolverMultistepScheduler';
  readonly initNoiseSigma = 1;
  private readonly prediction: DpmPrediction;

  constructor(config: SchedulerConfig, steps: number, noise: NoiseSource) {
    const training = trainingNoiseSchedule(config);
    checkStepCount(steps, training.numTrainTimesteps);
    const options = readDpmSolverOptions(config, 3);
    for (const key of ['use_exponential_sigmas', 'use_beta_sigmas', 'use_lu_lambdas', 'use_flow_sigmas', 'use_dynamic_shifting']) config.requireFalse(key);
    // learned variances (extra output channels) are refused: the value is named in the error
    if (config.has('variance_type')) config.choice('variance_type', 'none', ['none']);
    const prediction = config.choice<DpmPrediction>('prediction_type', 'epsilon', ['epsilon', 'v_prediction', 'sample']);
    const { spacing, stepsOffset } = readTimestepSpacing(config);

    const T = training.numTrainTimesteps;
    const lambdaMinClipped = config.number('lambda_min_clipped', -Infinity);
    let clipped = 0;
    for (let t = 0; t < T; t++) if (0.5 * Math.log(training.alphasCumprod[t] / (1 - training.alphasCumprod[t])) < lambdaMinClipped) clipped++;
    let timesteps = dpmSolverTimesteps(spacing, stepsOffset, T, T - clipped, steps);
    let sigmas: number[];
    if (config.boolean('use_karras_sigmas', false)) {
      const sigmaMin = config.optionalNumber('sigma_min') ?? training.sigmas[0];
      const sigmaMax = config.optionalNumber('sigma_max') ?? training.sigmas[T - 1];
      sigmas = karrasSigmas(unitRamp(steps), sigmaMin, sigmaMax);
      const logSigmas = training.sigmas.map(Math.log);
      const round = training.betaSchedule !== 'squaredcos_cap_v2';
      // diffusers rounds (numpy, half to even) except for the cosine schedule, then casts to int64
      timesteps = sigmas.map((sigma) => {
        const t = sigmaToTimestep(sigma, logSigmas);
        return Math.trunc(round ? roundHalfEven(t) : t);
      });
    } else sigmas = timesteps.map((t) => interpolateAtIndex(training.sigmas, t));
    const finalSigma = options.finalSigmaIsZero ? 0 : training.sigmas[0];
    super(timesteps, [...sigmas, finalSigma], options, noise);
    this.prediction = prediction;
  }

  protected alphaSigma(sigma: number): [number, number] {
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    return [alpha, sigma * alpha];
  }

  protected predictOriginal(modelOutput: Float32Array, sample: Float32Array, stepIndex: number, into: Float64Array): void {
    const [alpha, sigma] = this.alphaSigma(this.sigmas[stepIndex]);
    for (let i = 0; i < sample.length; i++) {
      const m = modelOutput[i];
      into[i] = this.prediction === 'epsilon' ? (sample[i] - sigma * m) / alpha : this.prediction === 'v_prediction' ? alpha * sample[i] - sigma * m : m;
    }
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    this.checkIndex(stepIndex);
    return sample.slice();
  }
}
