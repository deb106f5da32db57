import { Inject, Injectable } from '@nestjs/common';
import { CallerBucketError, checkCallerBucket } from '@switchyard/blobs';
import { AddressPolicy, checkUrl, resolveDestination, systemResolver, UnsafeUrlError } from '@switchyard/outbound';
import {
  BlobStoreUnavailableError,
  bullQueueOf,
  remoteLaneOf,
  EndpointRegistry,
  isFinalStatus,
  JobStateStores,
  type JobStateStore,
  type NewJob,
  type WakeRegistration,
  PayloadTooLargeError as ValueTooLargeError,
  resolvePolicy,
  RETRYABLE_STATUSES,
  sealSecret,
  type SealedS3Config,
  type JobEnvelope,
  type JobStatus,
  type QueueContract,
} from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  ValidationError,
} from '../http/api-errors';
import { parseOrThrow } from '../http/zod-validation';
import { JobRepository } from '../database/job.repository';
import { JobQueue, WAITING_STATES } from '../infra/job-queue';
import { CONFIG } from '../infra/tokens';
import { DEFAULT_PROJECT_ID, type Principal } from '../auth/principal';
import { checkedJobInput, type DescribeInputIssue } from './job-input';
import { createJobId } from './job-id';
import { INLINE_OUTPUT, JobOutputs, type OutputDelivery } from '../status/job-outputs';
import { JobWaiter, type NewJobWatch, type WatchOutcome } from './job-waiter';
import { QueueAdmission } from './queue-admission';
import { rowToRecord, viewToRecord, type JobRecordLike, type JobStatusResponse } from '../status/job-status-response';
import { RESULT_RETENTION_MS, runRequestSchema, type RunRequest } from './run-request';
import { BackendRouter, type RoutedJob } from '../routing/backend-router';

const PURGE_PAGE_SIZE = 500;
/** /health counts at most this many live jobs per state from Postgres, so one call stays bounded. */
const HEALTH_COUNT_LIMIT = 100_000;

/** The model a job's input names, on an endpoint whose contract has a model field. */
function modelNamedBy(contract: QueueContract, input: unknown): string | undefined {
  const value = contract.modelField && (input as Record<string, unknown> | null)?.[contract.modelField];
  return typeof value === 'string' ? value : undefined;
}

/** The project of a job recorded before projects existed is the default one. */
const projectOf = (job: { projectId?: string | null }) => job.projectId ?? DEFAULT_PROJECT_ID;

export type SubmitMode = keyof typeof RESULT_RETENTION_MS;

/** The RunPod-compatible job API's logic, independent of HTTP. */
@Injectable()
export class JobsService {
  private readonly webhookPolicy: AddressPolicy;
  private readonly s3ConfigPolicy: AddressPolicy;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly endpoints: EndpointRegistry,
    private readonly stores: JobStateStores,
    private readonly queue: JobQueue,
    private readonly jobRecords: JobRepository,
    private readonly waiter: JobWaiter,
    private readonly admission: QueueAdmission,
    private readonly outputs: JobOutputs,
    private readonly router: BackendRouter,
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
   * Validates and queues a job. `watchNew` runs with the new id before the job can start, so a
   * caller can begin watching it without any chance of missing its end (its registration is part
   * of the queued transition). The input is checked against the endpoint's contract once, here
   * (see checkedJobInput); `describeInputIssue` words what is wrong with it for APIs with an error
   * shape of their own. On an endpoint with routing the job goes to the backend the router picks
   * (or the one `route` already picked), and its record says which and why.
   */
  async submit(
    endpointId: string,
    body: unknown,
    principal: Principal,
    mode: SubmitMode,
    {
      watchNew,
      describeInputIssue,
      route,
      id = createJobId(),
    }: {
      watchNew?: (queue: string, jobId: string) => NewJobWatch;
      describeInputIssue?: DescribeInputIssue;
      route?: RoutedJob;
      /** The job's id, when the caller records it first (a deployment names its deploy job before the job can start). */
      id?: string;
    } = {},
  ): Promise<{ id: string; status: JobStatus }> {
    const contract = this.endpoint(endpointId);
    const request = parseOrThrow(runRequestSchema, body, '');
    const input = checkedJobInput(contract, request.input, describeInputIssue);
    if (request.webhook) await this.checkWebhook(request.webhook);
    if (request.s3Config) await this.checkS3Config(contract, request.s3Config);
    const policy = resolvePolicy(request.policy);
    route ??= await this.router.route(contract, {
      modelId: modelNamedBy(contract, input),
      preferBackend: request.prefer_backend,
      projectId: principal.projectId,
    });
    if (route && !route.queue) throw new ValidationError('prefer_backend', `backend "${route.backend}" cannot run a queued job`);
    // The remote backend has limits of its own (its concurrency, its 429s): only the local queue is capped here.
    if (!route || route.backend === 'local') await this.admission.admit(endpointId, contract);
    const s3Config = request.s3Config && this.sealS3Config(request.s3Config, id);
    const watch = watchNew?.(contract.queue, id);
    const createdAt = Date.now();
    const queued = await this.queueState(
      {
        id,
        projectId: principal.projectId,
        endpointId,
        queue: contract.queue,
        createdAt,
        expiresAt: createdAt + policy.ttl,
        retentionMs: RESULT_RETENTION_MS[mode],
        executionTimeout: policy.executionTimeout,
        lowPriority: policy.lowPriority,
        webhook: request.webhook,
        apiKeyId: principal.apiKeyId,
        backend: route?.recordedBackend ?? route?.backend,
        routeNote: route?.note || undefined,
        input,
      },
      watch?.wake,
    );
    if (!queued.applied) throw new ConflictError(`Job id ${id} already exists`);
    // An input held as a blob travels through BullMQ as its reference only.
    const envelope: JobEnvelope = queued.inputBlob
      ? { endpointId, projectId: principal.projectId, input: undefined, inputBlob: queued.inputBlob, policy, createdAt }
      : { endpointId, projectId: principal.projectId, input, policy, createdAt };
    if (s3Config) envelope.s3Config = s3Config;
    try {
      await this.queue.enqueue(route?.queue ?? contract.queue, id, envelope, { lowPriority: policy.lowPriority, ttlMs: policy.ttl });
    } catch (error) {
      await this.stores
        .of(contract.queue)
        .fail(id, 'The job could not be enqueued')
        .catch(() => undefined);
      throw new ServiceUnavailableError(`Queue ${contract.queue} is unavailable: ${(error as Error).message}`);
    }
    return { id, status: queued.status };
  }

  /**
   * RunPod's runsync: queues the job and answers its status once it ends or `waitMs` passes. A
   * worker that refuses the job for lack of capacity makes it a 503 with Retry-After; the job is
   * cancelled then, so it does not run behind the back of a client told to try again.
   */
  async runSync(
    endpointId: string,
    body: unknown,
    principal: Principal,
    waitMs: number,
    { delivery = INLINE_OUTPUT, describeInputIssue, route }: { delivery?: OutputDelivery; describeInputIssue?: DescribeInputIssue; route?: RoutedJob } = {},
  ): Promise<JobStatusResponse> {
    let watch: NewJobWatch | undefined;
    try {
      const watchNew = (queue: string, jobId: string) => (watch = this.waiter.watchNew(queue, jobId, { refusals: true }));
      const { id } = await this.submit(endpointId, body, principal, 'runsync', { watchNew, describeInputIssue, route });
      const outcome = await watch!.until(waitMs);
      if (outcome?.kind === 'refused') {
        const cancelled = await this.cancel(endpointId, id, principal).then(
          () => true,
          (error: unknown) => !(error instanceof ConflictError),
        );
        // Another worker took the job and finished it before the cancel: that result stands.
        if (!cancelled) return await this.status(endpointId, id, principal, delivery);
        throw new OverloadedError(`Endpoint "${endpointId}" is overloaded: ${outcome.reason}`, outcome.retryAfterMs / 1000);
      }
      return await this.statusAfter(endpointId, id, outcome, principal, delivery);
    } finally {
      watch?.stop();
    }
  }

  async status(endpointId: string, jobId: string, principal: Principal, delivery: OutputDelivery = INLINE_OUTPUT): Promise<JobStatusResponse> {
    return this.outputs.statusOf(endpointId, await this.find(endpointId, jobId, principal), delivery);
  }

  /** Waits up to `waitMs` for the job to end, then answers its status as it is. */
  async waitForStatus(
    endpointId: string,
    jobId: string,
    waitMs: number,
    principal: Principal,
    delivery: OutputDelivery = INLINE_OUTPUT,
  ): Promise<JobStatusResponse> {
    // Watching before reading means an end between the read and the wait cannot be missed.
    const watch = await this.waiter.watch(this.endpoint(endpointId).queue, jobId);
    try {
      const job = await this.find(endpointId, jobId, principal);
      if (isFinalStatus(job.status)) return await this.outputs.statusOf(endpointId, job, delivery);
      return await this.statusAfter(endpointId, jobId, await watch.until(waitMs), principal, delivery);
    } finally {
      watch.stop();
    }
  }

  /** The status a wait ends with: the final view it saw, else the job as it is now. */
  private async statusAfter(
    endpointId: string,
    jobId: string,
    outcome: WatchOutcome | undefined,
    principal: Principal,
    delivery: OutputDelivery,
  ): Promise<JobStatusResponse> {
    return outcome?.kind === 'ended'
      ? this.outputs.statusOf(endpointId, viewToRecord(outcome.view), delivery)
      : this.status(endpointId, jobId, principal, delivery);
  }

  async stream(endpointId: string, jobId: string, principal: Principal): Promise<{ status: JobStatus; stream: { output: unknown }[] }> {
    const job = await this.find(endpointId, jobId, principal);
    const chunks = await this.storeFor(endpointId).drainChunks(jobId);
    return { status: job.status, stream: chunks.map((output) => ({ output })) };
  }

  async cancel(endpointId: string, jobId: string, principal: Principal): Promise<{ id: string; status: JobStatus }> {
    const contract = this.endpoint(endpointId);
    const job = await this.find(endpointId, jobId, principal);
    if (isFinalStatus(job.status)) {
      throw new ConflictError(`Job ${jobId} already ended with status ${job.status}; only queued or running jobs can be cancelled`, 'id');
    }
    const result = await this.storeFor(endpointId).cancel(jobId);
    if (!result.applied && result.status !== 'CANCELLED') {
      throw new ConflictError(`Job ${jobId} ended with status ${result.status} before it could be cancelled`, 'id');
    }
    await this.queue.cancel(bullQueueOf({ queue: contract.queue, backend: job.backend }), jobId);
    return { id: jobId, status: 'CANCELLED' };
  }

  async retry(endpointId: string, jobId: string, principal: Principal): Promise<{ id: string; status: JobStatus }> {
    const contract = this.endpoint(endpointId);
    const job = await this.find(endpointId, jobId, principal);
    if (!RETRYABLE_STATUSES.has(job.status)) {
      throw new ConflictError(`Job ${jobId} has status ${job.status}; only FAILED or TIMED_OUT jobs can be retried`, 'id');
    }
    const entry = await this.queue.find(bullQueueOf({ queue: contract.queue, backend: job.backend }), jobId);
    if (!entry) throw new ConflictError(`Job ${jobId} can no longer be retried: its queue entry has expired`, 'id');
    const result = await this.stores.of(contract.queue).retry(jobId);
    if (!result.applied) throw new ConflictError(`Job ${jobId} can no longer be retried (status ${result.status})`, 'id');
    await entry.retry();
    return { id: jobId, status: 'IN_QUEUE' };
  }

  /**
   * Removes the caller's project's jobs still waiting in the endpoint's queue (every project's with
   * `allProjects`, for admin keys); running jobs are left to finish.
   */
  async purgeQueue(endpointId: string, principal: Principal, options: { allProjects?: boolean } = {}): Promise<{ removed: number; status: 'completed' }> {
    if (options.allProjects && !principal.admin) throw new ForbiddenError('Purging every project needs an admin key');
    const contract = this.endpoint(endpointId);
    const { queue } = contract;
    const isMine = (data: JobEnvelope) => data.endpointId === endpointId && (options.allProjects || projectOf(data) === principal.projectId);
    let removed = 0;
    // Aliases and projects share a queue, so other endpoints' and projects' jobs are stepped over, page by page.
    const bullQueues = this.router.routes(contract) ? [queue, remoteLaneOf(queue)] : [queue];
    for (const [bullQueue, state] of bullQueues.flatMap((name) => WAITING_STATES.map((waiting) => [name, waiting] as const))) {
      for (let start = 0; ;) {
        const page = await this.queue.waiting(bullQueue, state, start, start + PURGE_PAGE_SIZE - 1);
        if (page.length === 0) break;
        const mine = page.filter((job) => isMine(job.data));
        for (const job of mine) {
          const cancelled = await this.stores.of(queue).cancel(job.id);
          await job.remove().catch(() => undefined);
          if (cancelled.applied) removed += 1;
        }
        start += page.length - mine.length;
      }
    }
    return { removed, status: 'completed' };
  }

  /**
   * RunPod's /health, for the caller's project: its finished jobs from the state store's counters,
   * its queued and running jobs from Postgres (as recorded, so a moment behind), counted through
   * the (project, endpoint, status) index and capped. Workers are shared and counted as they are.
   */
  async health(endpointId: string, principal: Principal) {
    const { queue } = this.endpoint(endpointId);
    const [live, finished, workers] = await Promise.all([
      this.liveCounts(principal.projectId, endpointId),
      this.stores.of(queue).finishedCounts(principal.projectId, endpointId),
      this.queue.workers(queue),
    ]);
    const running = workers.filter((worker) => worker.active > 0).length;
    const remote = await this.router.describeRemote(queue);
    return {
      jobs: {
        completed: finished.COMPLETED,
        failed: finished.FAILED + finished.TIMED_OUT,
        inProgress: live.IN_PROGRESS,
        inQueue: live.IN_QUEUE,
        retried: finished.RETRIED,
      },
      workers: { idle: workers.length - running, running },
      ...(remote ? { remote } : {}),
    };
  }

  private async liveCounts(projectId: string, endpointId: string): Promise<Record<'IN_QUEUE' | 'IN_PROGRESS', number>> {
    const [IN_QUEUE, IN_PROGRESS] = await Promise.all(
      (['IN_QUEUE', 'IN_PROGRESS'] as const).map((status) => this.jobRecords.countLive(projectId, endpointId, status, HEALTH_COUNT_LIMIT)),
    );
    return { IN_QUEUE, IN_PROGRESS };
  }

  /**
   * The job as the API sees it: the live view in Redis while it is there, else the Postgres
   * record until the job's TTL. A job of another endpoint, or of another project, is not found
   * here, with the very answer an unknown id gets.
   */
  async find(endpointId: string, jobId: string, principal: Principal): Promise<JobRecordLike> {
    const view = await this.storeFor(endpointId).get(jobId);
    if (view) {
      if (view.endpointId !== endpointId || projectOf(view) !== principal.projectId) throw new NotFoundError(`Job "${jobId}"`, 'id');
      return viewToRecord(view);
    }
    const row = await this.jobRecords.find(jobId);
    if (!row || row.endpointId !== endpointId || row.projectId !== principal.projectId || row.expiresAt.getTime() <= Date.now()) {
      throw new NotFoundError(`Job "${jobId}"`, 'id');
    }
    return rowToRecord(row);
  }

  /** The state store of the endpoint's queue; an unknown endpoint is 404. */
  private storeFor(endpointId: string): JobStateStore {
    return this.stores.of(this.endpoint(endpointId).queue);
  }

  /** Records the job as queued; an input too large for the blob store, or a store that is down, is the caller's 413 or a 503. */
  private async queueState(job: NewJob, wake?: WakeRegistration) {
    try {
      return await this.stores.of(job.queue).queue(job, wake);
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

  /** A webhook URL the notifier may call: refused (400 naming `field`) when it is, or resolves to, an internal address, unless WEBHOOK_ALLOW_PRIVATE. */
  async checkWebhook(webhook: string, field = 'webhook'): Promise<void> {
    try {
      await resolveDestination(checkUrl(webhook, this.webhookPolicy), this.webhookPolicy, systemResolver);
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw new ValidationError(field, error.message);
      throw new ValidationError(field, `cannot be reached: ${(error as Error).message}`);
    }
  }
}
