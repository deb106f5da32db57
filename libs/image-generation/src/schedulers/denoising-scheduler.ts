export interface DenoisingScheduler {
  /** scheduler_config.json `_class_name`. */
  readonly name: string;
  readonly steps: number;
  /** What the UNet's `timestep` input is fed at each step, as diffusers' `scheduler.timesteps` (floats; EDM: 0.25·ln σ). */
  readonly timesteps: readonly number[];
  /** σ per step plus the final σ, as diffusers' `scheduler.sigmas` (for tests and progress). */
  readonly sigmas: readonly number[];
  /** The initial latents are unit noise times this (diffusers' init_noise_sigma). */
  readonly initNoiseSigma: number;
  /** scale_model_input at step i: returns the UNet's input (a new array; the sample is not modified). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /** One step: the (guided) model output at step i and the current sample give the next sample (a new array). Steps must be taken in order 0..steps-1. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array;
}
