import { createScheduler } from '../../src/schedulers';
import { PLAYGROUND_V25 } from './support/configs';
import { expectAllClose, expectClose, FakeNoise, fixedTensor, npLinspace, referenceKarras } from './support/reference';
import { edmDenoise, expectSteps, referenceMultistep } from './support/steps';

const SIGMA_MIN = 0.002;
const SIGMA_MAX = 80;

/** EDMDPMSolverMultistepScheduler.set_timesteps: σ per schedule, final σ, timesteps = precondition_noise(σ) = ¼ ln σ. */
function referenceEdm(schedule: 'karras' | 'exponential', steps: number, finalZero = true) {
  const sigmas =
    schedule === 'karras'
      ? referenceKarras(SIGMA_MIN, SIGMA_MAX, steps, 7)
      : npLinspace(Math.log(SIGMA_MIN), Math.log(SIGMA_MAX), steps)
          .map((l) => Math.exp(l))
          .reverse();
  return { timesteps: sigmas.map((s) => 0.25 * Math.log(s)), sigmas: [...sigmas, finalZero ? 0 : SIGMA_MIN] };
}

describe('EDMDPMSolverMultistepScheduler: set_timesteps', () => {
  const grid: { schedule: 'karras' | 'exponential'; steps: number }[] = [];
  for (const schedule of ['karras', 'exponential'] as const) for (const steps of [1, 4, 25, 50]) grid.push({ schedule, steps });

  it.each(grid)('$schedule, $steps steps (σ 0.002..80, ρ 7): sigmas, timesteps ¼ ln σ, init_noise_sigma √(80²+1)', ({ schedule, steps }) => {
    const scheduler = createScheduler({ ...PLAYGROUND_V25, sigma_schedule: schedule }, steps, new FakeNoise());
    const expected = referenceEdm(schedule, steps);
    expectAllClose(scheduler.sigmas, expected.sigmas);
    expectAllClose(scheduler.timesteps, expected.timesteps);
    expectClose(scheduler.initNoiseSigma, Math.sqrt(SIGMA_MAX ** 2 + 1));
  });

  it('both schedules run from σ_max = 80 down to σ_min = 0.002 (steps > 1)', () => {
    for (const schedule of ['karras', 'exponential'] as const) {
      const { sigmas } = createScheduler({ ...PLAYGROUND_V25, sigma_schedule: schedule }, 25, new FakeNoise());
      expectClose(sigmas[0], 80);
      expectClose(sigmas[24], 0.002, 1e-6, 0);
      expect(sigmas[25]).toBe(0);
    }
  });

  it('final_sigmas_type sigma_min ends on σ_min', () => {
    const scheduler = createScheduler({ ...PLAYGROUND_V25, final_sigmas_type: 'sigma_min' }, 4, new FakeNoise());
    expectAllClose(scheduler.sigmas, referenceEdm('karras', 4, false).sigmas);
  });
});

describe('EDMDPMSolverMultistepScheduler: preconditioning and step', () => {
  it('scaleModelInput is x·c_in = x/√(σ² + σ_d²)', () => {
    const scheduler = createScheduler(PLAYGROUND_V25, 6, new FakeNoise());
    const { sigmas } = referenceEdm('karras', 6);
    const x = fixedTensor(5, 1);
    for (let i = 0; i < 6; i++)
      expectAllClose(
        scheduler.scaleModelInput(x, i),
        Array.from(x, (v) => v / (sigmas[i] ** 2 + 0.25) ** 0.5),
      );
  });

  it('one step: with σ_next = 0 the result is x̂₀ = c_skip·x + c_out·F', () => {
    const scheduler = createScheduler(PLAYGROUND_V25, 1, new FakeNoise());
    const x = Float32Array.from(fixedTensor(5, 2), (v) => v * 80);
    const f = fixedTensor(5, 3);
    const denoise = edmDenoise(0.5, 'epsilon');
    expectAllClose(
      scheduler.step(f, 0, x),
      Array.from(x, (v, i) => denoise(80, v, f[i])),
    );
  });

  const run = (config: Record<string, unknown>, steps: number, prediction: 'epsilon' | 'v_prediction', schedule: 'karras' | 'exponential') => {
    const scheduler = createScheduler(config, steps, new FakeNoise());
    const { sigmas } = referenceEdm(schedule, steps);
    const x0 = Float32Array.from(fixedTensor(6, 0), (v) => v * Math.sqrt(SIGMA_MAX ** 2 + 1));
    const outputs = Array.from({ length: steps }, (_, i) => fixedTensor(6, 60 + i));
    const expected = referenceMultistep(
      {
        sigmas,
        alphaSigma: (sigma) => [1, sigma],
        denoise: edmDenoise(0.5, prediction),
        solverOrder: 2,
        solverType: 'midpoint',
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

  it('playground-v2.5 config, 10 steps: DPM-Solver++ 2M midpoint on EDM-preconditioned x̂₀, first and last steps first-order', () => {
    expect(run(PLAYGROUND_V25, 10, 'epsilon', 'karras').orders).toEqual([1, 2, 2, 2, 2, 2, 2, 2, 2, 1]);
  });

  it('playground-v2.5 config, 25 steps', () => {
    run(PLAYGROUND_V25, 25, 'epsilon', 'karras');
  });

  it('v_prediction (c_out negated), exponential schedule, 10 steps', () => {
    run({ ...PLAYGROUND_V25, prediction_type: 'v_prediction', sigma_schedule: 'exponential' }, 10, 'v_prediction', 'exponential');
  });
});
