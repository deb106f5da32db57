// Real scheduler_config.json contents (as published on the Hugging Face Hub) and the SD-style base.
export const SD_BETAS = { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000 } as const;
export const SD_REFERENCE_BETAS = { betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 } as const;

/** stabilityai/sd-turbo scheduler/scheduler_config.json. */
export const SD_TURBO = {
  _class_name: 'EulerDiscreteScheduler',
  ...SD_BETAS,
  clip_sample: false,
  interpolation_type: 'linear',
  prediction_type: 'epsilon',
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'trailing',
  trained_betas: null,
  use_karras_sigmas: false,
} as const;

/** stabilityai/sdxl-turbo scheduler/scheduler_config.json. */
export const SDXL_TURBO = {
  _class_name: 'EulerAncestralDiscreteScheduler',
  ...SD_BETAS,
  clip_sample: false,
  interpolation_type: 'linear',
  prediction_type: 'epsilon',
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'trailing',
  trained_betas: null,
} as const;

/** An SD 1.5 pipeline with DPMSolverMultistepScheduler.from_config(...) (the DPM++ 2M setup). */
export const SD15_DPM = {
  _class_name: 'DPMSolverMultistepScheduler',
  ...SD_BETAS,
  algorithm_type: 'dpmsolver++',
  dynamic_thresholding_ratio: 0.995,
  euler_at_final: false,
  final_sigmas_type: 'zero',
  lambda_min_clipped: null,
  lower_order_final: true,
  prediction_type: 'epsilon',
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  solver_order: 2,
  solver_type: 'midpoint',
  steps_offset: 1,
  thresholding: false,
  timestep_spacing: 'linspace',
  trained_betas: null,
  use_karras_sigmas: false,
  variance_type: null,
} as const;

/** playgroundai/playground-v2.5-1024px-aesthetic scheduler/scheduler_config.json. */
export const PLAYGROUND_V25 = {
  _class_name: 'EDMDPMSolverMultistepScheduler',
  algorithm_type: 'dpmsolver++',
  solver_order: 2,
  solver_type: 'midpoint',
  sigma_min: 0.002,
  sigma_max: 80,
  sigma_data: 0.5,
  rho: 7,
  prediction_type: 'epsilon',
  sigma_schedule: 'karras',
  final_sigmas_type: 'zero',
  lower_order_final: true,
  euler_at_final: false,
  num_train_timesteps: 1000,
} as const;
