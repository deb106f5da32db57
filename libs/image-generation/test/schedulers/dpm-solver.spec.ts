import { createScheduler } from '../../src/schedulers';
import { SD_BETAS, SD_REFERENCE_BETAS, SD15_DPM } from './support/configs';
import {
  expectAllClose,
  FakeNoise,
  fixedTensor,
  npInterpIndex,
  npRound,
  referenceDpmTimesteps,
  referenceKarras,
  referenceSigmaToT,
  referenceTrainingSigmas,
  type Spacing,
} from './support/reference';
import { expectSteps, referenceMultistep, vpAlphaSigma, vpDenoise, type Prediction } from './support/steps';

const TRAINING_SIGMAS = referenceTrainingSigmas(SD_REFERENCE_BETAS);
const LOG_SIGMAS = TRAINING_SIGMAS.map(Math.log);
const DPM = { _class_name: 'DPMSolverMultistepScheduler', ...SD_BETAS };

function referenceDpm(spacing: Spacing, steps: number, offset: number, karras = false, finalZero = true) {
  let timesteps = referenceDpmTimesteps(spacing, steps, offset);
  let sigmas = timesteps.map((t) => npInterpIndex(t, TRAINING_SIGMAS));
  if (karras) {
    // np.flip(training σ) then _convert_to_karras: σ_min = training σ₀, σ_max = training σ_{T−1}
    sigmas = referenceKarras(TRAINING_SIGMAS[0], TRAINING_SIGMAS[999], steps);
    timesteps = sigmas.map((s) => Math.trunc(npRound(referenceSigmaToT(s, LOG_SIGMAS))));
  }
  return { timesteps, sigmas: [...sigmas, finalZero ? 0 : TRAINING_SIGMAS[0]] };
}

describe('DPMSolverMultistepScheduler: set_timesteps', () => {
  const grid: { spacing: Spacing; steps: number; offset: number }[] = [];
  for (const spacing of ['linspace', 'leading', 'trailing'] as const)
    for (const steps of [1, 4, 25, 50]) for (const offset of [0, 1]) grid.push({ spacing, steps, offset });

  it.each(grid)(
    '$spacing, $steps steps, steps_offset $offset: integer timesteps, interpolated σ, final 0, init_noise_sigma 1',
    ({ spacing, steps, offset }) => {
      const scheduler = createScheduler({ ...DPM, timestep_spacing: spacing, steps_offset: offset }, steps, new FakeNoise());
      const expected = referenceDpm(spacing, steps, offset);
      expect(scheduler.timesteps).toEqual(expected.timesteps);
      expectAllClose(scheduler.sigmas, expected.sigmas);
      expect(scheduler.initNoiseSigma).toBe(1);
    },
  );

  it.each([1, 4, 25, 50])('use_karras_sigmas, %i steps: Karras σ from training σ₀..σ_999, rounded _sigma_to_t timesteps', (steps) => {
    const scheduler = createScheduler({ ...SD15_DPM, use_karras_sigmas: true }, steps, new FakeNoise());
    const expected = referenceDpm('linspace', steps, 1, true);
    expect(scheduler.timesteps).toEqual(expected.timesteps);
    expectAllClose(scheduler.sigmas, expected.sigmas);
  });

  it('final_sigmas_type sigma_min ends on the training σ₀', () => {
    const scheduler = createScheduler({ ...SD15_DPM, final_sigmas_type: 'sigma_min' }, 10, new FakeNoise());
    expectAllClose(scheduler.sigmas, referenceDpm('linspace', 10, 1, false, false).sigmas);
  });

  it('SD 1.5 DPM++ 2M, 25 steps: 999, 959, 919, … (linspace(0, 999, 26) rounded, reversed, last dropped)', () => {
    const scheduler = createScheduler(SD15_DPM, 25, new FakeNoise());
    expect(scheduler.timesteps.slice(0, 4)).toEqual([999, 959, 919, 879]);
    expect(scheduler.timesteps[24]).toBe(40);
    expect(scheduler.timesteps).toEqual(referenceDpmTimesteps('linspace', 25, 1));
  });
});

describe('DPMSolverMultistepScheduler: scale_model_input and step', () => {
  it('scaleModelInput returns the sample unchanged (a copy)', () => {
    const scheduler = createScheduler(SD15_DPM, 4, new FakeNoise());
    const x = fixedTensor(5, 1);
    for (let i = 0; i < 4; i++) {
      const scaled = scheduler.scaleModelInput(x, i);
      expect(scaled).toEqual(x);
      expect(scaled).not.toBe(x);
    }
  });

  const sequence = (config: Record<string, unknown>, steps: number, prediction: Prediction, reference: ReturnType<typeof referenceDpm>) => {
    const scheduler = createScheduler(config, steps, new FakeNoise());
    const x0 = fixedTensor(6, 0);
    const outputs = Array.from({ length: steps }, (_, i) => fixedTensor(6, 40 + i));
    const expected = referenceMultistep(
      {
        sigmas: reference.sigmas,
        alphaSigma: vpAlphaSigma,
        denoise: vpDenoise(prediction),
        solverOrder: 2,
        solverType: (config['solver_type'] as 'midpoint' | 'heun' | undefined) ?? 'midpoint',
        lowerOrderFinal: true,
        eulerAtFinal: false,
        finalSigmasZero: true,
      },
      x0,
      outputs,
    );
    expectSteps(scheduler, x0, outputs, expected.samples.slice(0, steps));
    return expected;
  };

  it('SD 1.5 DPM++ 2M, 10 steps: first step first-order, then second-order midpoint, last step first-order onto x̂₀ (σ = 0)', () => {
    const expected = sequence(SD15_DPM, 10, 'epsilon', referenceDpm('linspace', 10, 1));
    expect(expected.orders).toEqual([1, 2, 2, 2, 2, 2, 2, 2, 2, 1]);
  });

  it('one step (first-order): (σ_t/σ_s)·x − α_t(e^{−h} − 1)·x̂₀ with σ_t = 0 gives x̂₀ = (x − σ_s ε)/α_s', () => {
    const scheduler = createScheduler(SD15_DPM, 1, new FakeNoise());
    const sigma = scheduler.sigmas[0];
    const [alpha, sigmaT] = vpAlphaSigma(sigma);
    const x = fixedTensor(5, 1);
    const eps = fixedTensor(5, 2);
    expectAllClose(
      scheduler.step(eps, 0, x),
      Array.from(x, (v, i) => (v - sigmaT * eps[i]) / alpha),
    );
  });

  it('heun solver_type, 10 steps', () => {
    sequence({ ...SD15_DPM, solver_type: 'heun' }, 10, 'epsilon', referenceDpm('linspace', 10, 1));
  });

  it('v_prediction, trailing, 10 steps', () => {
    sequence({ ...SD15_DPM, prediction_type: 'v_prediction', timestep_spacing: 'trailing' }, 10, 'v_prediction', referenceDpm('trailing', 10, 1));
  });

  it('Karras sigmas, 10 steps', () => {
    sequence({ ...SD15_DPM, use_karras_sigmas: true }, 10, 'epsilon', referenceDpm('linspace', 10, 1, true));
  });

  it('20 steps (≥ 15: lower_order_final only through final_sigmas_type zero on the last step)', () => {
    const expected = sequence(SD15_DPM, 20, 'epsilon', referenceDpm('linspace', 20, 1));
    expect(expected.orders).toEqual([1, ...Array<number>(18).fill(2), 1]);
  });
});
