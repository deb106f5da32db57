import type { NoiseSource } from './noise-source';
import type { SchedulerConfig } from './scheduler-config';
import { MultistepDpmSolver, readDpmSolverOptions } from './multistep-dpm-solver';
import { linspace } from './numpy-ops';
import { karrasSigmas, unitRamp } from './sigma-schedules';
import { checkStepCount } from './step-sequence';

/**
 * diffusers' EDMDPMSolverMultistepScheduler: DPM-Solver++ in the EDM formulation (α = 1, σ_t = σ) with
 * Karras et al.'s preconditioning: c_in = 1/√(σ²+σ_d²), c_noise = ¼ ln σ (the UNet's timestep),
 * x̂₀ = σ_d²/(σ²+σ_d²)·x ± σσ_d/√(σ²+σ_d²)·F (+ for epsilon, − for v_prediction).
 */
export class EdmDpmSolverMultistepScheduler extends MultistepDpmSolver {
  readonly name = 'EDMDPMSolverMultistepScheduler';
  readonly initNoiseSigma: number;
  private readonly sigmaData: number;
  private readonly outputSign: number;

  constructor(config: SchedulerConfig, steps: number, noise: NoiseSource) {
    const numTrainTimesteps = config.integer('num_train_timesteps', 1000);
    checkStepCount(steps, numTrainTimesteps);
    const sigmaMin = config.number('sigma_min', 0.002);
    const sigmaMax = config.number('sigma_max', 80);
    const schedule = config.choice('sigma_schedule', 'karras', ['karras', 'exponential']);
    const prediction = config.choice('prediction_type', 'epsilon', ['epsilon', 'v_prediction']);
    // diffusers' EDM third-order update has no SDE form
    const options = readDpmSolverOptions(config, 2);
    const sigmas =
      schedule === 'karras'
        ? karrasSigmas(unitRamp(steps), sigmaMin, sigmaMax, config.number('rho', 7))
        : linspace(Math.log(sigmaMin), Math.log(sigmaMax), steps).map(Math.exp).reverse();
    const timesteps = sigmas.map((sigma) => 0.25 * Math.log(sigma));
    super(timesteps, [...sigmas, options.finalSigmaIsZero ? 0 : sigmaMin], options, noise);
    this.sigmaData = config.number('sigma_data', 0.5);
    this.outputSign = prediction === 'epsilon' ? 1 : -1;
    this.initNoiseSigma = Math.sqrt(sigmaMax * sigmaMax + 1);
  }

  protected alphaSigma(sigma: number): [number, number] {
    return [1, sigma];
  }

  protected predictOriginal(modelOutput: Float32Array, sample: Float32Array, stepIndex: number, into: Float64Array): void {
    const sigma = this.sigmas[stepIndex];
    const d = this.sigmaData;
    const cSkip = (d * d) / (sigma * sigma + d * d);
    const cOut = (this.outputSign * sigma * d) / Math.sqrt(sigma * sigma + d * d);
    for (let i = 0; i < sample.length; i++) into[i] = cSkip * sample[i] + cOut * modelOutput[i];
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    this.checkIndex(stepIndex);
    const sigma = this.sigmas[stepIndex];
    const cIn = 1 / Math.sqrt(sigma * sigma + this.sigmaData * this.sigmaData);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i] * cIn;
    return out;
  }
}
