import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Database } from '@switchyard/db';
import { CallerBucketError, checkCallerBucket } from '@switchyard/blobs';
import { AddressPolicy, checkUrl, resolveDestination, systemResolver, UnsafeUrlError } from '@switchyard/outbound';
import {
  BlobStoreUnavailableError,
  EndpointRegistry,
  inputShapeLimits,
  isFinalStatus,
  JobStateStore,
  PayloadTooLargeError as ValueTooLargeError,
  RedisKeys,
  resolvePolicy,
  RETRYABLE_STATUSES,
  sealSecret,
  type SealedS3Config,
  type JobEnvelope,
  type JobStatus,
  type QueueContract,
} from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { ConflictError, NotFoundError, OverloadedError, PayloadTooLargeError, ServiceUnavailableError, ValidationError } from '../http/api-errors';
import { checkJsonShape, parseOrThrow } from '../http/zod-validation';
import { QueueRegistry } from '../infra/queue-registry';
import { CONFIG, DATABASE, REDIS } from '../infra/tokens';
import type { Principal } from '../auth/principal';
import { createJobId } from './job-id';
import { INLINE_OUTPUT, JobOutputs, type OutputDelivery } from './job-outputs';
import { JobWaiter, type JobWatch, type WatchOutcome } from './job-waiter';
import { QueueAdmission } from './queue-admission';
import { rowToRecord, viewToRecord, type JobRecordLike, type JobStatusResponse } from './job-status-response';
import { RESULT_RETENTION_MS, runRequestSchema, type RunRequest } from './run-request';

const PURGE_PAGE_SIZE = 500;

export type SubmitMode = keyof typeof RESULT_RETENTION_MS;

/** The RunPod-compatible job API's logic, independent of HTTP. */
@Injectable()
export class JobsService {
  private readonly webhookPolicy: AddressPolicy;
  private readonly s3ConfigPolicy: AddressPolicy;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly endpoints: EndpointRegistry,
    private readonly store: JobStateStore,
    private readonly queues: QueueRegistry,
    private readonly waiter: JobWaiter,
    private readonly admission: QueueAdmission,
    private readonly outputs: JobOutputs,
  ) {
    this.webhookPolicy = new AddressPolicy({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE });
    this.s3ConfigPolicy = new AddressPolicy({ allowPrivate: config.S3CONFIG_ALLOW_PRIVATE });
  }

  endpoint(endpointId: string): QueueContract {
    const contract = this.endpoints.find(endpointId);
    if (!contract) throw new NotFoundError(`Endpoint "${endpointId}"`, 'endpointId');
    return contract;
  }

  /**
   * Validates and queues a job. `onAccepted` runs with the new id before the job can start, so a
   * caller can begin watching it without any chance of missing its end. The input's shape is
   * checked first, before anything recursive reads it; text Postgres cannot store (U+0000,
   * unpaired surrogates) is refused there too, naming the field.
   */
  async submit(
    endpointId: string,
    body: unknown,
    principal: Principal,
    mode: SubmitMode,
    onAccepted?: (jobId: string) => void,
  ): Promise<{ id: string; status: JobStatus }> {
    const contract = this.endpoint(endpointId);
    const request = parseOrThrow(runRequestSchema, body, '');
    checkJsonShape(request.input, inputShapeLimits(contract), 'input');
    const input = parseOrThrow(contract.input, request.input, 'input');
    if (request.webhook) await this.checkWebhook(request.webhook);
    if (request.s3Config) await this.checkS3Config(contract, request.s3Config);
    const policy = resolvePolicy(request.policy);
    await this.admission.admit(endpointId, contract);
    const id = createJobId();
    const s3Config = request.s3Config && this.sealS3Config(request.s3Config, id);
    onAccepted?.(id);
    const createdAt = Date.now();
    const queued = await this.queueState({
      id,
      endpointId,
      queue: contract.queue,
      createdAt,
      expiresAt: createdAt + policy.ttl,
      retentionMs: RESULT_RETENTION_MS[mode],
      executionTimeout: policy.executionTimeout,
      lowPriority: policy.lowPriority,
      webhook: request.webhook,
      apiKeyId: principal.apiKeyId,
      input,
    });
    if (!queued.applied) throw new ConflictError(`Job id ${id} already exists`);
    // An input held as a blob travels through BullMQ as its reference only.
    const envelope: JobEnvelope = queued.inputBlob ? { endpointId, input: undefined, inputBlob: queued.inputBlob, policy, createdAt } : { endpointId, input, policy, createdAt };
    if (s3Config) envelope.s3Config = s3Config;
    try {
      await this.queues.get(contract).add(contract.queue, envelope, {
        jobId: id,
        // BullMQ serves jobs without a priority before any prioritised job, so 1 means "after the rest".
        priority: policy.lowPriority ? 1 : undefined,
        removeOnComplete: true,
        removeOnFail: { age: Math.ceil(policy.ttl / 1000) },
      });
    } catch (error) {
      await this.store.fail(id, 'The job could not be enqueued').catch(() => undefined);
      throw new ServiceUnavailableError(`Queue ${contract.queue} is unavailable: ${(error as Error).message}`);
    }
    return { id, status: queued.status };
  }

  /**
   * RunPod's runsync: queues the job and answers its status once it ends or `waitMs` passes. A
   * worker that refuses the job for lack of capacity makes it a 503 with Retry-After; the job is
   * cancelled then, so it does not run behind the back of a client told to try again.
   */
  async runSync(endpointId: string, body: unknown, principal: Principal, waitMs: number, delivery: OutputDelivery = INLINE_OUTPUT): Promise<JobStatusResponse> {
    let watch: JobWatch | undefined;
    try {
      const { id } = await this.submit(endpointId, body, principal, 'runsync', (jobId) => (watch = this.waiter.watch(jobId, { refusals: true })));
      const outcome = await watch!.until(waitMs);
      if (outcome?.kind === 'refused') {
        const cancelled = await this.cancel(endpointId, id).then(
          () => true,
          (error: unknown) => !(error instanceof ConflictError),
        );
        // Another worker took the job and finished it before the cancel: that result stands.
        if (!cancelled) return await this.status(endpointId, id, delivery);
        throw new OverloadedError(`Endpoint "${endpointId}" is overloaded: ${outcome.reason}`, outcome.retryAfterMs / 1000);
      }
      return await this.statusAfter(endpointId, id, outcome, delivery);
    } finally {
      watch?.stop();
    }
  }

  async status(endpointId: string, jobId: string, delivery: OutputDelivery = INLINE_OUTPUT): Promise<JobStatusResponse> {
    return this.outputs.statusOf(endpointId, await this.find(endpointId, jobId), delivery);
  }

  /** Waits up to `waitMs` for the job to end, then answers its status as it is. */
  async waitForStatus(endpointId: string, jobId: string, waitMs: number, delivery: OutputDelivery = INLINE_OUTPUT): Promise<JobStatusResponse> {
    // Watching before reading means an end between the read and the wait cannot be missed.
    const watch = this.waiter.watch(jobId);
    try {
      const job = await this.find(endpointId, jobId);
      if (isFinalStatus(job.status)) return await this.outputs.statusOf(endpointId, job, delivery);
      return await this.statusAfter(endpointId, jobId, await watch.until(waitMs), delivery);
    } finally {
      watch.stop();
    }
  }

  /** The status a wait ends with: the final view it saw, else the job as it is now. */
  private async statusAfter(endpointId: string, jobId: string, outcome: WatchOutcome | undefined, delivery: OutputDelivery): Promise<JobStatusResponse> {
    return outcome?.kind === 'ended' ? this.outputs.statusOf(endpointId, viewToRecord(outcome.view), delivery) : this.status(endpointId, jobId, delivery);
  }

  async stream(endpointId: string, jobId: string): Promise<{ status: JobStatus; stream: { output: unknown }[] }> {
    const job = await this.find(endpointId, jobId);
    const chunks = await this.store.drainChunks(jobId);
    return { status: job.status, stream: chunks.map((output) => ({ output })) };
  }

  async cancel(endpointId: string, jobId: string): Promise<{ id: string; status: JobStatus }> {
    const contract = this.endpoint(endpointId);
    const job = await this.find(endpointId, jobId);
    if (isFinalStatus(job.status)) {
      throw new ConflictError(`Job ${jobId} already ended with status ${job.status}; only queued or running jobs can be cancelled`, 'id');
    }
    const result = await this.store.cancel(jobId);
    if (!result.applied && result.status !== 'CANCELLED') {
      throw new ConflictError(`Job ${jobId} ended with status ${result.status} before it could be cancelled`, 'id');
    }
    // A queued job is removed; a running one is locked by its worker, which the broadcast reaches.
    const queued = await this.queues.get(contract).getJob(jobId);
    await queued?.remove().catch(() => undefined);
    await this.redis.publish(this.keys.cancellations, jobId);
    return { id: jobId, status: 'CANCELLED' };
  }

  async retry(endpointId: string, jobId: string): Promise<{ id: string; status: JobStatus }> {
    const contract = this.endpoint(endpointId);
    const job = await this.find(endpointId, jobId);
    if (!RETRYABLE_STATUSES.has(job.status)) {
      throw new ConflictError(`Job ${jobId} has status ${job.status}; only FAILED or TIMED_OUT jobs can be retried`, 'id');
    }
    const bullJob = await this.queues.get(contract).getJob(jobId);
    if (!bullJob) throw new ConflictError(`Job ${jobId} can no longer be retried: its queue entry has expired`, 'id');
    const result = await this.store.retry(jobId);
    if (!result.applied) throw new ConflictError(`Job ${jobId} can no longer be retried (status ${result.status})`, 'id');
    await bullJob.retry('failed');
    return { id: jobId, status: 'IN_QUEUE' };
  }

  /** Removes every job still waiting in the endpoint's queue; running jobs are left to finish. */
  async purgeQueue(endpointId: string): Promise<{ removed: number; status: 'completed' }> {
    const queue = this.queues.get(this.endpoint(endpointId));
    let removed = 0;
    // Aliases share a queue, so other endpoints' jobs are stepped over, page by page.
    for (const state of ['wait', 'prioritized', 'delayed'] as const) {
      for (let start = 0; ; ) {
        const page = await queue.getJobs([state], start, start + PURGE_PAGE_SIZE - 1);
        if (page.length === 0) break;
        const mine = page.filter((job) => job.data.endpointId === endpointId);
        for (const job of mine) {
          const cancelled = await this.store.cancel(job.id!);
          await job.remove().catch(() => undefined);
          if (cancelled.applied) removed += 1;
        }
        start += page.length - mine.length;
      }
    }
    return { removed, status: 'completed' };
  }

  async health(endpointId: string) {
    const queue = this.queues.get(this.endpoint(endpointId));
    const [counts, finished, workers] = await Promise.all([
      queue.getJobCounts('wait', 'prioritized', 'delayed', 'active'),
      this.store.finishedCounts(endpointId),
      queue.getWorkersCount(),
    ]);
    const running = Math.min(counts.active ?? 0, workers);
    return {
      jobs: {
        completed: finished.COMPLETED,
        failed: finished.FAILED + finished.TIMED_OUT,
        inProgress: counts.active ?? 0,
        inQueue: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
        retried: finished.RETRIED,
      },
      workers: { idle: Math.max(workers - running, 0), running },
    };
  }

  /**
   * The job as the API sees it: the live view in Redis while it is there, else the Postgres
   * record until the job's TTL. A job of another endpoint is not found here.
   */
  async find(endpointId: string, jobId: string): Promise<JobRecordLike> {
    this.endpoint(endpointId);
    const view = await this.store.get(jobId);
    if (view) {
      if (view.endpointId !== endpointId) throw new NotFoundError(`Job "${jobId}"`, 'id');
      return viewToRecord(view);
    }
    const row = await this.database.prisma.job.findUnique({ where: { id: jobId } });
    if (!row || row.endpointId !== endpointId || row.expiresAt.getTime() <= Date.now()) throw new NotFoundError(`Job "${jobId}"`, 'id');
    return rowToRecord(row);
  }

  /** Records the job as queued; an input too large for the blob store, or a store that is down, is the caller's 413 or a 503. */
  private async queueState(job: Parameters<JobStateStore['queue']>[0]) {
    try {
      return await this.store.queue(job);
    } catch (error) {
      if (error instanceof ValueTooLargeError) throw new PayloadTooLargeError(error.message);
      if (error instanceof BlobStoreUnavailableError) throw new ServiceUnavailableError(error.message);
      throw error;
    }
  }

  /**
   * RunPod's s3Config, checked where it can be: the endpoint has files to upload, the URL is not an
   * internal address, the keys work and the bucket exists. Messages name the field, never the secret.
   */
  private async checkS3Config(contract: QueueContract, s3Config: NonNullable<RunRequest['s3Config']>): Promise<void> {
    if (!this.config.JOB_SECRETS_KEY) throw new ValidationError('s3Config', 'is not enabled on this platform (JOB_SECRETS_KEY is not set)');
    if (!contract.fileOutputs?.length) throw new ValidationError('s3Config', `endpoint queue "${contract.queue}" returns no files to upload`);
    try {
      await checkCallerBucket(s3Config, this.s3ConfigPolicy);
    } catch (error) {
      if (error instanceof CallerBucketError) throw new ValidationError(error.field, error.message.slice(error.field.length + 2));
      throw error;
    }
  }

  /** Only the secret is sealed; it travels in the queue entry alone, never in the job's view, events or row. */
  private sealS3Config(s3Config: NonNullable<RunRequest['s3Config']>, jobId: string): SealedS3Config {
    const { accessSecret, ...rest } = s3Config;
    return { ...rest, sealedSecret: sealSecret(this.config.JOB_SECRETS_KEY!, accessSecret, jobId) };
  }

  private async checkWebhook(webhook: string): Promise<void> {
    try {
      await resolveDestination(checkUrl(webhook, this.webhookPolicy), this.webhookPolicy, systemResolver);
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw new ValidationError('webhook', error.message);
      throw new ValidationError('webhook', `cannot be reached: ${(error as Error).message}`);
    }
  }
}
