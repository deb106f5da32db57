import type { DenoisingScheduler } from './denoising-scheduler';
import type { NoiseSource } from './noise-source';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep-scheduler';
import { EdmDpmSolverMultistepScheduler } from './edm-dpm-solver-multistep-scheduler';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler';
import { SchedulerConfig } from './scheduler-config';
import { UnsupportedSchedulerError } from './unsupported-scheduler-error';

const FACTORIES: Readonly<Record<string, (config: SchedulerConfig, steps: number, noise: NoiseSource) => DenoisingScheduler>> = {
  EulerDiscreteScheduler: (config, steps) => new EulerDiscreteScheduler(config, steps),
  EulerAncestralDiscreteScheduler: (config, steps, noise) => new EulerAncestralDiscreteScheduler(config, steps, noise),
  DPMSolverMultistepScheduler: (config, steps, noise) => new DpmSolverMultistepScheduler(config, steps, noise),
  EDMDPMSolverMultistepScheduler: (config, steps, noise) => new EdmDpmSolverMultistepScheduler(config, steps, noise),
};

export const SUPPORTED_SCHEDULERS: readonly string[] = Object.keys(FACTORIES);

/** Builds the scheduler a pipeline's scheduler/scheduler_config.json names, set for `steps` inference steps; `noise` feeds the ancestral and SDE variants. */
export function createScheduler(config: Readonly<Record<string, unknown>>, steps: number, noise: NoiseSource): DenoisingScheduler {
  const className = config['_class_name'];
  const factory = typeof className === 'string' && Object.hasOwn(FACTORIES, className) ? FACTORIES[className] : undefined;
  if (!factory) throw new UnsupportedSchedulerError('scheduler_config.json', '_class_name', className, SUPPORTED_SCHEDULERS);
  return factory(new SchedulerConfig(className as string, config), steps, noise);
}
