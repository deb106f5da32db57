import { createScheduler, UnsupportedSchedulerError } from '../../src/schedulers';
import { PLAYGROUND_V25, SD15_DPM, SD_TURBO, SDXL_TURBO } from './support/configs';
import { FakeNoise, fixedTensor } from './support/reference';

function refusal(config: Record<string, unknown>): UnsupportedSchedulerError {
  try {
    createScheduler(config, 4, new FakeNoise());
  } catch (error) {
    if (error instanceof UnsupportedSchedulerError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(config)}`);
}

describe('scheduler errors', () => {
  it.each([
    { config: { _class_name: 'PNDMScheduler' }, option: '_class_name' },
    { config: {}, option: '_class_name' },
    { config: { ...SD_TURBO, use_exponential_sigmas: true }, option: 'use_exponential_sigmas' },
    { config: { ...SD_TURBO, use_beta_sigmas: true }, option: 'use_beta_sigmas' },
    { config: { ...SD_TURBO, interpolation_type: 'log_linear' }, option: 'interpolation_type' },
    { config: { ...SD_TURBO, timestep_spacing: 'uniform' }, option: 'timestep_spacing' },
    { config: { ...SD_TURBO, beta_schedule: 'sigmoid' }, option: 'beta_schedule' },
    { config: { ...SD_TURBO, trained_betas: [0.1, 0.2] }, option: 'trained_betas' },
    { config: { ...SDXL_TURBO, prediction_type: 'sample' }, option: 'prediction_type' },
    { config: { ...SD15_DPM, algorithm_type: 'dpmsolver' }, option: 'algorithm_type' },
    { config: { ...SD15_DPM, algorithm_type: 'sde-dpmsolver' }, option: 'algorithm_type' },
    { config: { ...SD15_DPM, thresholding: true }, option: 'thresholding' },
    { config: { ...SD15_DPM, variance_type: 'learned_range' }, option: 'variance_type' },
    { config: { ...SD15_DPM, use_lu_lambdas: true }, option: 'use_lu_lambdas' },
    { config: { ...SD15_DPM, use_exponential_sigmas: true }, option: 'use_exponential_sigmas' },
    { config: { ...SD15_DPM, solver_order: 4 }, option: 'solver_order' },
    { config: { ...PLAYGROUND_V25, sigma_schedule: 'linear' }, option: 'sigma_schedule' },
    { config: { ...PLAYGROUND_V25, prediction_type: 'sample' }, option: 'prediction_type' },
    { config: { ...PLAYGROUND_V25, algorithm_type: 'sde-dpmsolver++', solver_order: 3 }, option: 'solver_order' },
  ])('refuses $option ($config._class_name) with an UnsupportedSchedulerError naming it', ({ config, option }) => {
    const error = refusal(config);
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });

  it.each([0, -1, 1.5, 1001, Number.NaN])('steps %p is a RangeError for every scheduler', (steps) => {
    for (const config of [SD_TURBO, SDXL_TURBO, SD15_DPM, PLAYGROUND_V25]) expect(() => createScheduler(config, steps, new FakeNoise())).toThrow(RangeError);
  });

  it('1000 steps (= num_train_timesteps) is accepted', () => {
    expect(createScheduler(SD_TURBO, 1000, new FakeNoise()).steps).toBe(1000);
  });

  it.each([SD_TURBO, SDXL_TURBO, SD15_DPM, PLAYGROUND_V25])(
    '$_class_name: out-of-range and out-of-order step indices, and mismatched lengths, are RangeErrors',
    (config) => {
      const scheduler = createScheduler(config, 3, new FakeNoise());
      const x = fixedTensor(4, 0);
      expect(() => scheduler.scaleModelInput(x, 3)).toThrow(RangeError);
      expect(() => scheduler.scaleModelInput(x, -1)).toThrow(RangeError);
      expect(() => scheduler.step(x, 1, x)).toThrow(RangeError);
      expect(() => scheduler.step(fixedTensor(3, 0), 0, x)).toThrow(RangeError);
      scheduler.step(x, 0, x);
      expect(() => scheduler.step(x, 0, x)).toThrow(RangeError);
    },
  );
});
