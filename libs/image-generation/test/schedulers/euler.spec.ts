import { createScheduler } from '../../src/schedulers';
import { SD_BETAS, SD_REFERENCE_BETAS, SD_TURBO } from './support/configs';
import {
  expectAllClose,
  expectClose,
  FakeNoise,
  fixedTensor,
  npInterpIndex,
  referenceEulerTimesteps,
  referenceKarras,
  referenceSigmaToT,
  referenceTrainingSigmas,
  type Spacing,
} from './support/reference';
import { referenceEulerStep, type Prediction } from './support/steps';

const TRAINING_SIGMAS = referenceTrainingSigmas(SD_REFERENCE_BETAS);
const LOG_SIGMAS = TRAINING_SIGMAS.map(Math.log);
const EULER = { _class_name: 'EulerDiscreteScheduler', ...SD_BETAS };

const grid: { spacing: Spacing; steps: number; offset: number }[] = [];
for (const spacing of ['linspace', 'leading', 'trailing'] as const)
  for (const steps of [1, 4, 25, 50]) for (const offset of [0, 1]) grid.push({ spacing, steps, offset });

/** The float64 reference of EulerDiscreteScheduler.set_timesteps: timesteps, sigmas (with the final 0) and init_noise_sigma. */
function referenceEuler(spacing: Spacing, steps: number, offset: number, karras = false) {
  let timesteps = referenceEulerTimesteps(spacing, steps, offset);
  let sigmas = timesteps.map((t) => npInterpIndex(t, TRAINING_SIGMAS));
  if (karras) {
    sigmas = referenceKarras(sigmas[sigmas.length - 1], sigmas[0], steps);
    timesteps = sigmas.map((s) => referenceSigmaToT(s, LOG_SIGMAS));
  }
  sigmas = [...sigmas, 0];
  const max = Math.max(...sigmas);
  return { timesteps, sigmas, initNoiseSigma: spacing === 'leading' ? (max ** 2 + 1) ** 0.5 : max };
}

describe('EulerDiscreteScheduler: set_timesteps', () => {
  it.each(grid)('$spacing, $steps steps, steps_offset $offset: timesteps, sigmas and init_noise_sigma', ({ spacing, steps, offset }) => {
    const scheduler = createScheduler({ ...EULER, timestep_spacing: spacing, steps_offset: offset }, steps, new FakeNoise());
    const expected = referenceEuler(spacing, steps, offset);
    expect(scheduler.steps).toBe(steps);
    // timesteps are exact (integers for leading/trailing; linspace fractions are the same float64 arithmetic)
    expectAllClose(scheduler.timesteps, expected.timesteps, 1e-12);
    expectAllClose(scheduler.sigmas, expected.sigmas);
    expectClose(scheduler.initNoiseSigma, expected.initNoiseSigma);
  });

  it('known points: linspace 4 steps is 999, 666, 333, 0; leading 4 steps with offset 1 is 751, 501, 251, 1; trailing 4 steps is 999, 749, 499, 249', () => {
    const ts = (spacing: Spacing) => createScheduler({ ...EULER, timestep_spacing: spacing, steps_offset: 1 }, 4, new FakeNoise()).timesteps;
    expect(ts('linspace')).toEqual([999, 666, 333, 0]);
    expect(ts('leading')).toEqual([751, 501, 251, 1]);
    expect(ts('trailing')).toEqual([999, 749, 499, 249]);
  });

  it.each([
    { spacing: 'linspace', steps: 4 },
    { spacing: 'linspace', steps: 25 },
    { spacing: 'leading', steps: 25 },
    { spacing: 'trailing', steps: 50 },
    { spacing: 'trailing', steps: 1 },
  ] as const)('use_karras_sigmas, $spacing, $steps steps: Karras σ between the spaced σ_min/σ_max and _sigma_to_t timesteps', ({ spacing, steps }) => {
    const scheduler = createScheduler({ ...EULER, timestep_spacing: spacing, steps_offset: 1, use_karras_sigmas: true }, steps, new FakeNoise());
    const expected = referenceEuler(spacing, steps, 1, true);
    expectAllClose(scheduler.sigmas, expected.sigmas);
    // t from log-σ interpolation: absolute 1e-6 on values up to 999
    expectAllClose(scheduler.timesteps, expected.timesteps, 1e-6);
    expectClose(scheduler.initNoiseSigma, expected.initNoiseSigma);
  });

  it('final_sigmas_type sigma_min ends on the training σ₀ instead of 0', () => {
    const scheduler = createScheduler({ ...EULER, final_sigmas_type: 'sigma_min' }, 4, new FakeNoise());
    expectClose(scheduler.sigmas[4], TRAINING_SIGMAS[0]);
  });

  it('v_prediction with timestep_type continuous feeds 0.25·ln σ as the timestep', () => {
    const scheduler = createScheduler({ ...EULER, prediction_type: 'v_prediction', timestep_type: 'continuous' }, 4, new FakeNoise());
    const expected = referenceEuler('linspace', 4, 0);
    expectAllClose(
      scheduler.timesteps,
      expected.sigmas.slice(0, 4).map((s) => 0.25 * Math.log(s)),
    );
  });
});

describe('EulerDiscreteScheduler: scale_model_input and step', () => {
  const LENGTH = 7;

  it('scaleModelInput divides by √(σ²+1) at every step and leaves the sample unchanged', () => {
    const scheduler = createScheduler({ ...EULER, timestep_spacing: 'leading', steps_offset: 1 }, 25, new FakeNoise());
    const x = fixedTensor(LENGTH, 1);
    const copy = x.slice();
    for (let i = 0; i < 25; i++) {
      const sigma = referenceEuler('leading', 25, 1).sigmas[i];
      expectAllClose(
        scheduler.scaleModelInput(x, i),
        Array.from(x, (v) => v / (sigma ** 2 + 1) ** 0.5),
      );
    }
    expect(x).toEqual(copy);
  });

  it.each(['epsilon', 'v_prediction', 'sample'] as const)('%s: one step equals x + (x − x̂₀)/σ·(σ₁ − σ₀)', (prediction: Prediction) => {
    const scheduler = createScheduler({ ...EULER, prediction_type: prediction, timestep_spacing: 'trailing', steps_offset: 1 }, 4, new FakeNoise());
    const { sigmas } = referenceEuler('trailing', 4, 1);
    const x = fixedTensor(LENGTH, 2).map((v) => v * sigmas[0]);
    const out = fixedTensor(LENGTH, 3);
    expectAllClose(scheduler.step(out, 0, x), referenceEulerStep(prediction, sigmas[0], sigmas[1], x, out));
  });

  it.each([
    { prediction: 'epsilon', spacing: 'leading' },
    { prediction: 'epsilon', spacing: 'linspace' },
    { prediction: 'v_prediction', spacing: 'trailing' },
    { prediction: 'v_prediction', spacing: 'linspace' },
  ] as const)('$prediction, $spacing: a 5-step sequence follows a float64 loop (float32 samples between steps)', ({ prediction, spacing }) => {
    const scheduler = createScheduler({ ...EULER, prediction_type: prediction, timestep_spacing: spacing, steps_offset: 1 }, 5, new FakeNoise());
    const { sigmas, initNoiseSigma } = referenceEuler(spacing, 5, 1);
    let actual: Float32Array = Float32Array.from(fixedTensor(LENGTH, 0), (v) => v * initNoiseSigma);
    let expected: Float32Array = actual.slice();
    for (let i = 0; i < 5; i++) {
      const out = fixedTensor(LENGTH, 10 + i);
      actual = scheduler.step(out, i, actual);
      // the pipeline keeps float32 latents; the reference rounds its float64 result the same way
      const next = referenceEulerStep(prediction, sigmas[i], sigmas[i + 1], expected, out);
      expectAllClose(actual, next);
      expected = Float32Array.from(next);
    }
  });
});

describe('sd-turbo (EulerDiscreteScheduler, trailing, steps_offset 1, scaled_linear 0.00085–0.012, epsilon)', () => {
  it('1 step: timestep 999, σ = σ_999 ≈ 14.6146, then 0; init_noise_sigma = σ_999; the step lands on x − σε', () => {
    const scheduler = createScheduler(SD_TURBO, 1, new FakeNoise());
    expect(scheduler.name).toBe('EulerDiscreteScheduler');
    expect(scheduler.timesteps).toEqual([999]);
    expectAllClose(scheduler.sigmas, [TRAINING_SIGMAS[999], 0]);
    expect(scheduler.sigmas[0]).toBeCloseTo(14.6146, 4);
    expectClose(scheduler.initNoiseSigma, TRAINING_SIGMAS[999]);
    const x = Float32Array.from(fixedTensor(5, 4), (v) => v * TRAINING_SIGMAS[999]);
    const eps = fixedTensor(5, 5);
    expectAllClose(
      scheduler.step(eps, 0, x),
      Array.from(x, (v, i) => v - TRAINING_SIGMAS[999] * eps[i]),
    );
  });

  it('4 steps: timesteps 999, 749, 499, 249 with their interpolated σ', () => {
    const scheduler = createScheduler(SD_TURBO, 4, new FakeNoise());
    expect(scheduler.timesteps).toEqual([999, 749, 499, 249]);
    expectAllClose(scheduler.sigmas, [999, 749, 499, 249].map((t) => TRAINING_SIGMAS[t]).concat(0));
  });
});
