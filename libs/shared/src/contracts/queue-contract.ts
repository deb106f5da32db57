import type { z } from 'zod';
import { DEFAULT_JSON_SHAPE_LIMITS, type JsonShapeLimits } from '../json-shape';
import type { BlobRef } from '../claim-check';
import type { SealedS3Config } from '../job-secrets';
import type { JobPolicy } from '../policy';

/**
 * One queue's contract, shared by the gateway (producer) and the worker (consumer): the queue's
 * name and the schemas of a job's input and output.
 */
export interface QueueContract<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> {
  readonly queue: string;
  readonly description: string;
  readonly input: Input;
  readonly output: Output;
  /** Tighter limits on the input's JSON shape than the platform's defaults, checked before the schema. */
  readonly inputShape?: Partial<JsonShapeLimits>;
  /**
   * Jobs a worker whose models run on a GPU takes at once; default 1, as a job may hold the device
   * for seconds. A queue whose jobs share the device (batched across jobs) says how many.
   */
  readonly gpuConcurrency?: number;
  /**
   * Output fields that hold files, as dotted paths (`echo.file_base64`), each a base64 string.
   * With RunPod's `s3Config` the worker uploads them to the caller's bucket and answers their URLs.
   */
  readonly fileOutputs?: readonly string[];
  /** The input field naming the model a job runs on, for endpoints serving several: the router routes per model. */
  readonly modelField?: string;
  /** Queued only by the gateway's own APIs (the deployer's by `/v1/deployments`), never on `/v2/{endpointId}`. */
  readonly internal?: boolean;
  /** The body of the job's webhook when it is not RunPod's status object (the deployer's is the seed's `deployment_ready`). */
  readonly webhookBody?: (job: FinishedJob) => unknown;
}

/** A job that ended, as its webhook describes it. */
export interface FinishedJob {
  id: string;
  status: string;
  input: unknown;
  output?: unknown;
  error?: string;
}

export function inputShapeLimits(contract: QueueContract): JsonShapeLimits {
  return { ...DEFAULT_JSON_SHAPE_LIMITS, ...contract.inputShape };
}

export type ContractInput<C extends QueueContract> = z.infer<C['input']>;
export type ContractOutput<C extends QueueContract> = z.infer<C['output']>;

export function defineQueueContract<Input extends z.ZodType, Output extends z.ZodType>(contract: QueueContract<Input, Output>): QueueContract<Input, Output> {
  if (!/^[a-z][a-z0-9-]*$/.test(contract.queue)) {
    throw new Error(`Queue name "${contract.queue}" must be lowercase letters, digits and dashes`);
  }
  return contract;
}

/** What travels in a BullMQ job: the validated input plus what the worker needs to honour the policy. */
export interface JobEnvelope<InputValue = unknown> {
  endpointId: string;
  /** The job's project, so that a purge can take only its own project's queue entries. */
  projectId?: string;
  /** Absent when the input was too large to travel inline: `inputBlob` holds it then. */
  input: InputValue;
  inputBlob?: BlobRef;
  /** RunPod's s3Config, its secret sealed for the worker: file outputs go to the caller's bucket. */
  s3Config?: SealedS3Config;
  policy: JobPolicy;
  /** Epoch ms when the job was first accepted; the TTL counts from here. */
  createdAt: number;
  /** The remote backend's id of the job, once the relay submitted it there, so a relay taking over follows it instead of submitting again. */
  remoteJobId?: string;
}

/** A job error as the seed handlers answer it, `{error}`: the worker records it as the job's failure. */
export interface ReportedJobError {
  readonly error: string;
}

/** The job error for an input a worker's own contract refuses (its limits may be lower than the gateway's): the first issue, named by its path. */
export function inputRefusal(error: z.ZodError): ReportedJobError {
  const issue = error.issues[0];
  return { error: issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message };
}
