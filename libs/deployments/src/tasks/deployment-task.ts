import deploymentTargets from './deployment-targets.json';

/** A Hub task (pipeline tag) that a Switchyard endpoint serves. */
export type DeployableTask = keyof typeof deploymentTargets.tasks;

export interface DeploymentTarget {
  task: DeployableTask;
  /** The `/v2/{endpointId}` endpoint the deployment's jobs go to. */
  endpoint: string;
  /** The worker app (under apps/) that runs those jobs. */
  workerApp: string;
}

const TARGETS: Readonly<Record<string, { endpoint: string; workerApp: string; accepts: readonly string[] }>> = deploymentTargets.tasks;

export const DEPLOYABLE_TASKS = Object.keys(TARGETS) as readonly DeployableTask[];

export function isDeployableTask(task: string): task is DeployableTask {
  return Object.hasOwn(TARGETS, task);
}

export function deploymentTargetOf(task: DeployableTask): DeploymentTarget {
  const { endpoint, workerApp } = TARGETS[task];
  return { task, endpoint, workerApp };
}

/** Whether a model the Hub files under `modelTask` can serve a request for `requested`. */
export function taskAccepts(requested: DeployableTask, modelTask: string): boolean {
  return requested === modelTask || TARGETS[requested].accepts.includes(modelTask);
}
