import type { SchedulerConfig } from './scheduler-config';
import { arange, linspace, roundHalfEven } from './numpy-ops';

export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

export function readTimestepSpacing(config: SchedulerConfig): { spacing: TimestepSpacing; stepsOffset: number } {
  return {
    spacing: config.choice<TimestepSpacing>('timestep_spacing', 'linspace', ['linspace', 'leading', 'trailing']),
    stepsOffset: config.integer('steps_offset', 0),
  };
}

/** The Euler schedulers' `set_timesteps` (Table 2 of arXiv:2305.08891); linspace keeps fractions. */
export function eulerTimesteps(spacing: TimestepSpacing, stepsOffset: number, numTrainTimesteps: number, steps: number): number[] {
  if (spacing === 'linspace') return linspace(0, numTrainTimesteps - 1, steps).reverse();
  if (spacing === 'leading') {
    const ratio = Math.floor(numTrainTimesteps / steps);
    return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + stepsOffset);
  }
  return arange(numTrainTimesteps, 0, -numTrainTimesteps / steps).map((t) => roundHalfEven(t) - 1);
}

/** DPMSolverMultistepScheduler's `set_timesteps`: integers, one more point spaced and the last dropped. */
export function dpmSolverTimesteps(spacing: TimestepSpacing, stepsOffset: number, numTrainTimesteps: number, lastTimestep: number, steps: number): number[] {
  if (spacing === 'linspace')
    return linspace(0, lastTimestep - 1, steps + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, -1);
  if (spacing === 'leading') {
    const ratio = Math.floor(lastTimestep / (steps + 1));
    return Array.from({ length: steps }, (_, i) => (steps - i) * ratio + stepsOffset);
  }
  return arange(lastTimestep, 0, -numTrainTimesteps / steps).map((t) => roundHalfEven(t) - 1);
}
