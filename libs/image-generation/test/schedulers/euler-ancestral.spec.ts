import { createScheduler } from '../../src/schedulers';
import { SD_BETAS, SD_REFERENCE_BETAS, SDXL_TURBO } from './support/configs';
import {
  expectAllClose,
  expectClose,
  FakeNoise,
  fixedTensor,
  npInterpIndex,
  referenceEulerTimesteps,
  referenceTrainingSigmas,
  type Spacing,
} from './support/reference';
import { ancestralSigmas, referenceAncestralStep, type Prediction } from './support/steps';

const TRAINING_SIGMAS = referenceTrainingSigmas(SD_REFERENCE_BETAS);
const ANCESTRAL = { _class_name: 'EulerAncestralDiscreteScheduler', ...SD_BETAS };

function referenceSigmas(spacing: Spacing, steps: number, offset: number): number[] {
  return [...referenceEulerTimesteps(spacing, steps, offset).map((t) => npInterpIndex(t, TRAINING_SIGMAS)), 0];
}

describe('EulerAncestralDiscreteScheduler', () => {
  const grid: { spacing: Spacing; steps: number }[] = [];
  for (const spacing of ['linspace', 'leading', 'trailing'] as const) for (const steps of [1, 4, 25, 50]) grid.push({ spacing, steps });

  it.each(grid)('$spacing, $steps steps (steps_offset 1): timesteps, sigmas and init_noise_sigma', ({ spacing, steps }) => {
    const scheduler = createScheduler({ ...ANCESTRAL, timestep_spacing: spacing, steps_offset: 1 }, steps, new FakeNoise());
    expect(scheduler.name).toBe('EulerAncestralDiscreteScheduler');
    expectAllClose(scheduler.timesteps, referenceEulerTimesteps(spacing, steps, 1), 1e-12);
    const sigmas = referenceSigmas(spacing, steps, 1);
    expectAllClose(scheduler.sigmas, sigmas);
    const max = Math.max(...sigmas);
    expectClose(scheduler.initNoiseSigma, spacing === 'leading' ? (max ** 2 + 1) ** 0.5 : max);
  });

  it('scaleModelInput divides by √(σ²+1)', () => {
    const scheduler = createScheduler({ ...ANCESTRAL, timestep_spacing: 'trailing' }, 4, new FakeNoise());
    const sigmas = referenceSigmas('trailing', 4, 0);
    const x = fixedTensor(6, 1);
    for (let i = 0; i < 4; i++)
      expectAllClose(
        scheduler.scaleModelInput(x, i),
        Array.from(x, (v) => v / (sigmas[i] ** 2 + 1) ** 0.5),
      );
  });

  it('σ_up and σ_down: σ_up² + σ_down² = σ_to², and the last step (σ_to = 0) has σ_up = σ_down = 0', () => {
    const sigmas = referenceSigmas('trailing', 4, 1);
    for (let i = 0; i < 4; i++) {
      const { up, down } = ancestralSigmas(sigmas[i], sigmas[i + 1]);
      expectClose(up ** 2 + down ** 2, sigmas[i + 1] ** 2, 1e-12);
    }
    expect(ancestralSigmas(sigmas[3], 0)).toEqual({ up: 0, down: 0 });
  });

  it.each([
    { prediction: 'epsilon', spacing: 'trailing' },
    { prediction: 'epsilon', spacing: 'leading' },
    { prediction: 'v_prediction', spacing: 'linspace' },
  ] as const)('$prediction, $spacing: a 5-step sequence is x + d·(σ_down − σ) + σ_up·z with the fake noise, one draw per step', ({ prediction, spacing }) => {
    const noise = new FakeNoise();
    const scheduler = createScheduler({ ...ANCESTRAL, prediction_type: prediction, timestep_spacing: spacing, steps_offset: 1 }, 5, noise);
    const sigmas = referenceSigmas(spacing, 5, 1);
    let actual: Float32Array = Float32Array.from(fixedTensor(6, 0), (v) => v * sigmas[0]);
    let expected: Float32Array = actual.slice();
    for (let i = 0; i < 5; i++) {
      const out = fixedTensor(6, 20 + i);
      actual = scheduler.step(out, i, actual);
      // diffusers draws noise at every step, the last included (σ_up = 0 there)
      expect(noise.draws).toHaveLength(i + 1);
      expect(noise.draws[i]).toHaveLength(6);
      const next = referenceAncestralStep(prediction as Prediction, sigmas[i], sigmas[i + 1], expected, out, noise.draws[i]);
      expectAllClose(actual, next);
      expected = Float32Array.from(next);
    }
  });
});

describe('sdxl-turbo (EulerAncestralDiscreteScheduler, trailing, steps_offset 1)', () => {
  it('1 step: timestep 999, σ_999 then 0; the single step is x − σε (σ_up = 0 at σ_to = 0)', () => {
    const noise = new FakeNoise();
    const scheduler = createScheduler(SDXL_TURBO, 1, noise);
    expect(scheduler.timesteps).toEqual([999]);
    expectAllClose(scheduler.sigmas, [TRAINING_SIGMAS[999], 0]);
    expectClose(scheduler.initNoiseSigma, TRAINING_SIGMAS[999]);
    const x = Float32Array.from(fixedTensor(4, 1), (v) => v * TRAINING_SIGMAS[999]);
    const eps = fixedTensor(4, 2);
    expectAllClose(
      scheduler.step(eps, 0, x),
      Array.from(x, (v, i) => v - TRAINING_SIGMAS[999] * eps[i]),
    );
  });

  it('4 steps: timesteps 999, 749, 499, 249; steps follow the ancestral reference', () => {
    const noise = new FakeNoise();
    const scheduler = createScheduler(SDXL_TURBO, 4, noise);
    expect(scheduler.timesteps).toEqual([999, 749, 499, 249]);
    const sigmas = [999, 749, 499, 249].map((t) => TRAINING_SIGMAS[t]).concat(0);
    expectAllClose(scheduler.sigmas, sigmas);
    let sample: Float32Array = Float32Array.from(fixedTensor(4, 3), (v) => v * sigmas[0]);
    for (let i = 0; i < 4; i++) {
      const out = fixedTensor(4, 30 + i);
      const next = scheduler.step(out, i, sample);
      expectAllClose(next, referenceAncestralStep('epsilon', sigmas[i], sigmas[i + 1], sample, out, noise.draws[i]));
      sample = next;
    }
  });
});
