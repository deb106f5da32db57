import { isDeployableTask, taskAccepts, type DeployableTask } from '../tasks/deployment-task';
import { TaskMismatchError, UnsupportedTaskError } from './hub-errors';
import modelTasks from './model-tasks.json';

/** Where a model's task was read from. */
export type TaskEvidence = 'pipeline_tag' | 'model_index.json' | 'library';

export interface ModelTask {
  task: string;
  evidence: TaskEvidence;
}

export interface TaskClues {
  pipelineTag?: string;
  /** The `_class_name` of a diffusers model_index.json. */
  diffusersPipeline?: string;
  library?: string;
}

const DIFFUSERS_PIPELINE_TASKS: Readonly<Record<string, string>> = modelTasks.diffusersPipelines;
const LIBRARY_TASKS: Readonly<Record<string, string>> = modelTasks.libraries;

/** The model's task from the strongest clue: its pipeline tag, its diffusers pipeline class, its library. */
export function inferModelTask({ pipelineTag, diffusersPipeline, library }: TaskClues): ModelTask | undefined {
  if (pipelineTag) return { task: pipelineTag, evidence: 'pipeline_tag' };
  if (diffusersPipeline && Object.hasOwn(DIFFUSERS_PIPELINE_TASKS, diffusersPipeline)) {
    return { task: DIFFUSERS_PIPELINE_TASKS[diffusersPipeline], evidence: 'model_index.json' };
  }
  if (library && Object.hasOwn(LIBRARY_TASKS, library)) return { task: LIBRARY_TASKS[library], evidence: 'library' };
  return undefined;
}

/** A request's `task`, if Switchyard serves it. */
export function requireDeployableTask(task: string): DeployableTask {
  if (!isDeployableTask(task)) throw new UnsupportedTaskError('task', task, `task "${task}" is not one Switchyard serves`);
  return task;
}

/**
 * The task to deploy the model for: the one asked for, when the model fits it (or says nothing of
 * its task), else the model's own.
 */
export function chooseTask(modelId: string, modelTask: ModelTask | undefined, requested: DeployableTask | undefined): DeployableTask {
  if (requested !== undefined) {
    if (modelTask === undefined || taskAccepts(requested, modelTask.task)) return requested;
    throw new TaskMismatchError(modelId, requested, modelTask.task, modelTask.evidence);
  }
  if (modelTask === undefined) {
    throw new UnsupportedTaskError(
      'task',
      undefined,
      `cannot tell the task of model "${modelId}": it has no pipeline_tag, diffusers pipeline or known library; pass task`,
    );
  }
  if (!isDeployableTask(modelTask.task)) {
    throw new UnsupportedTaskError(
      'hf_model_id',
      modelTask.task,
      `model "${modelId}" is a ${modelTask.task} model (from its ${modelTask.evidence}), which Switchyard does not serve`,
    );
  }
  return modelTask.task;
}
