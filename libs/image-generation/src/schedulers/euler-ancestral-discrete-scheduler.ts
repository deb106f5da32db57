import type { NoiseSource } from './noise-source';
import type { SchedulerConfig } from './scheduler-config';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler';

/** Euler ancestral (k-diffusion's sample_euler_ancestral, η = 1), as diffusers' EulerAncestralDiscreteScheduler. */
export class EulerAncestralDiscreteScheduler extends EulerDiscreteScheduler {
  override readonly name = 'EulerAncestralDiscreteScheduler';

  constructor(
    config: SchedulerConfig,
    steps: number,
    private readonly noise: NoiseSource,
  ) {
    super(config, steps, { ancestral: true });
  }

  override step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    this.sequence.take(stepIndex, modelOutput, sample);
    const from = this.sigmas[stepIndex];
    const to = this.sigmas[stepIndex + 1];
    const sigmaUp = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    const sigmaDown = Math.sqrt(to * to - sigmaUp * sigmaUp);
    // drawn at every step, the last included, as diffusers draws it
    const noise = this.noise.normal(sample.length);
    return this.eulerStep(modelOutput, sample, from, sigmaDown, sigmaUp, noise);
  }
}
