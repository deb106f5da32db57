import { SchedulerConfig } from '../../src/schedulers/scheduler-config';
import { trainingNoiseSchedule } from '../../src/schedulers/training-noise-schedule';
import { expectAllClose, expectClose, referenceAlphasCumprod, referenceBetas, referenceTrainingSigmas, type BetaConfig } from './support/reference';

function schedule(values: Record<string, unknown>) {
  return trainingNoiseSchedule(new SchedulerConfig('EulerDiscreteScheduler', values));
}

const cases: { name: string; values: Record<string, unknown>; reference: BetaConfig }[] = [
  { name: 'linear (defaults 1e-4..0.02)', values: {}, reference: {} },
  {
    name: 'linear 0.00085..0.012',
    values: { beta_schedule: 'linear', beta_start: 0.00085, beta_end: 0.012 },
    reference: { betaStart: 0.00085, betaEnd: 0.012 },
  },
  {
    name: 'scaled_linear 0.00085..0.012 (SD 1.5, SDXL, sd-turbo)',
    values: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
    reference: { betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 },
  },
  {
    name: 'scaled_linear over 500 training steps',
    values: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 500 },
    reference: { betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012, numTrainTimesteps: 500 },
  },
];

describe('training noise schedule (betas → ᾱ → σ)', () => {
  it.each(cases)('$name: alphas_cumprod and σ = √((1−ᾱ)/ᾱ) match float64 formulas to 1e-12', ({ values, reference }) => {
    const actual = schedule(values);
    const alphas = referenceAlphasCumprod(reference);
    const sigmas = referenceTrainingSigmas(reference);
    expect(actual.numTrainTimesteps).toBe(alphas.length);
    // both sides are float64 products of the same betas: only summation-order rounding separates them
    expectAllClose(actual.alphasCumprod, alphas, 1e-12, 0);
    expectAllClose(actual.sigmas, sigmas, 1e-12, 0);
  });

  it('the betas the cumulative product is built from are the published linear and scaled_linear ones', () => {
    const linear = referenceBetas({});
    expect(linear[0]).toBe(0.0001);
    expectClose(linear[999], 0.02, 1e-15, 0);
    expectClose(linear[500], 0.0001 + (0.0199 * 500) / 999, 1e-12, 0);
    const scaled = referenceBetas({ betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 });
    expectClose(scaled[0], 0.00085, 1e-12, 0);
    expectClose(scaled[999], 0.012, 1e-12, 0);
    // ᾱ_t = ∏(1 − β): the first value is 1 − β₀
    expectClose(schedule({}).alphasCumprod[0], 1 - 0.0001, 1e-15, 0);
  });

  it("scaled_linear 0.00085..0.012: σ at t = 999 is sd-turbo's 14.6146 and at t = 0 is 0.0292", () => {
    const { sigmas } = schedule({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    expect(sigmas[999]).toBeCloseTo(14.6146, 4);
    expect(sigmas[0]).toBeCloseTo(Math.sqrt(0.00085 / (1 - 0.00085)), 12);
  });

  it('rescale_betas_zero_snr: ᾱ_T is set to 2^-24, the rescaled ᾱ elsewhere match Algorithm 1', () => {
    const values = { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, rescale_betas_zero_snr: true };
    const reference: BetaConfig = { betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012, rescaleBetasZeroSnr: true };
    const actual = schedule(values);
    expect(actual.alphasCumprod[999]).toBe(2 ** -24);
    // √ᾱ is shifted and scaled: its first value is kept, the last becomes 0
    expectClose(actual.alphasCumprod[0], referenceAlphasCumprod({ betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 })[0], 1e-12, 0);
    expectAllClose(actual.alphasCumprod.slice(0, 999), referenceAlphasCumprod(reference).slice(0, 999), 1e-9, 1e-12);
    expectAllClose(actual.sigmas, referenceTrainingSigmas(reference), 1e-9, 0);
    expect(actual.sigmas[999]).toBeCloseTo(Math.sqrt((1 - 2 ** -24) / 2 ** -24), 6);
  });
});
