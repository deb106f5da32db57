import type { SchedulerConfig } from './scheduler-config';
import { linspace } from './numpy-ops';

/** The training-time noise levels of a DDPM-family scheduler (float64), indexed by training timestep. */
export interface TrainingNoiseSchedule {
  readonly numTrainTimesteps: number;
  readonly betaSchedule: string;
  readonly alphasCumprod: Float64Array;
  /** σ_t = √((1 − ᾱ_t)/ᾱ_t). */
  readonly sigmas: Float64Array;
}

function glideCosineBetas(count: number): number[] {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Array.from({ length: count }, (_, i) => Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), 0.999));
}

/** Algorithm 1 of "Common Diffusion Noise Schedules and Sample Steps are Flawed": ᾱ_T becomes 0. */
function rescaleZeroTerminalSnr(betas: number[]): number[] {
  const sqrtCumprod: number[] = [];
  let product = 1;
  for (const beta of betas) sqrtCumprod.push(Math.sqrt((product *= 1 - beta)));
  const first = sqrtCumprod[0];
  const last = sqrtCumprod[sqrtCumprod.length - 1];
  const scaled = sqrtCumprod.map((value) => ((value - last) * first) / (first - last));
  return scaled.map((value, i) => 1 - (i === 0 ? value ** 2 : value ** 2 / scaled[i - 1] ** 2));
}

/** betas (beta_schedule, trained_betas, rescale_betas_zero_snr) → ᾱ and σ, as the DDPM-family constructors build them. */
export function trainingNoiseSchedule(config: SchedulerConfig): TrainingNoiseSchedule {
  const numTrainTimesteps = config.integer('num_train_timesteps', 1000);
  const betaStart = config.number('beta_start', 0.0001);
  const betaEnd = config.number('beta_end', 0.02);
  const betaSchedule = config.choice('beta_schedule', 'linear', ['linear', 'scaled_linear', 'squaredcos_cap_v2']);
  const trained = config.numberArray('trained_betas');
  let betas: number[];
  if (trained) {
    if (trained.length !== numTrainTimesteps) throw config.unsupported('trained_betas', `${trained.length} values`, [`${numTrainTimesteps} values`]);
    betas = trained;
  } else if (betaSchedule === 'linear') betas = linspace(betaStart, betaEnd, numTrainTimesteps);
  else if (betaSchedule === 'scaled_linear') betas = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), numTrainTimesteps).map((b) => b * b);
  else betas = glideCosineBetas(numTrainTimesteps);
  const zeroSnr = config.boolean('rescale_betas_zero_snr', false);
  if (zeroSnr) betas = rescaleZeroTerminalSnr(betas);

  const alphasCumprod = new Float64Array(numTrainTimesteps);
  let product = 1;
  for (let t = 0; t < numTrainTimesteps; t++) alphasCumprod[t] = product *= 1 - betas[t];
  // diffusers keeps the last ᾱ off zero (fp16's smallest subnormal) so that the first σ is finite.
  if (zeroSnr) alphasCumprod[numTrainTimesteps - 1] = 2 ** -24;
  const sigmas = alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
  return { numTrainTimesteps, betaSchedule, alphasCumprod, sigmas };
}
