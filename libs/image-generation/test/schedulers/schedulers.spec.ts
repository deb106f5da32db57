import { createScheduler, SeededNoise, UnsupportedSchedulerError } from '@switchyard/image-generation';

const fixedNoise = { normal: (count: number) => new Float32Array(count).fill(0.5) };

function scaledLinearSigmas(): number[] {
  const start = Math.sqrt(0.00085);
  const end = Math.sqrt(0.012);
  let product = 1;
  const sigmas: number[] = [];
  for (let t = 0; t < 1000; t++) {
    const beta = (start + ((end - start) * t) / 999) ** 2;
    product *= 1 - beta;
    sigmas.push(Math.sqrt((1 - product) / product));
  }
  return sigmas;
}

const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));

describe('schedulers', () => {
  const euler = { _class_name: 'EulerDiscreteScheduler', beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 };

  it('sd-turbo: Euler, trailing, one step runs at timestep 999 with sigma 14.6146 and lands on x − σε', () => {
    const scheduler = createScheduler({ ...euler, timestep_spacing: 'trailing' }, 1, fixedNoise);
    expect(scheduler.timesteps).toEqual([999]);
    const sigma = scaledLinearSigmas()[999];
    close(scheduler.sigmas[0], sigma);
    expect(scheduler.sigmas[0]).toBeCloseTo(14.6146, 4);
    close(scheduler.initNoiseSigma, sigma);
    const x = Float32Array.of(1, -2),
      eps = Float32Array.of(0.25, 0.5);
    const next = scheduler.step(eps, 0, x);
    close(next[0], Math.fround(1 - sigma * 0.25));
  });

  it('EDM: karras sigmas, c_noise timesteps and c_in scaling', () => {
    const scheduler = createScheduler({ _class_name: 'EDMDPMSolverMultistepScheduler' }, 3, fixedNoise);
    const ref = [0, 0.5, 1].map((r) => (80 ** (1 / 7) + r * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7);
    ref.forEach((s, i) => close(scheduler.sigmas[i], s));
    ref.forEach((s, i) => close(scheduler.timesteps[i], 0.25 * Math.log(s)));
    close(scheduler.scaleModelInput(Float32Array.of(1), 0)[0], Math.fround(1 / Math.sqrt(80 * 80 + 0.25)));
  });

  it('refuses unknown class names and bad step counts', () => {
    expect(() => createScheduler({ _class_name: 'PNDMScheduler' }, 10, fixedNoise)).toThrow(UnsupportedSchedulerError);
    expect(() => createScheduler({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver' }, 10, fixedNoise)).toThrow(/algorithm_type/);
    expect(() => createScheduler(euler, 0, fixedNoise)).toThrow(RangeError);
    expect(() => createScheduler(euler, 1001, fixedNoise)).toThrow(RangeError);
  });

  it('SeededNoise repeats a seed and has unit variance', () => {
    expect(new SeededNoise(42).normal(8)).toEqual(new SeededNoise(42).normal(8));
    const values = new SeededNoise(7).normal(100_000);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });
});
