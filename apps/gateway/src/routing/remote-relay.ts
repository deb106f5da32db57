import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { BlobClaimCheck } from '@switchyard/blobs';
import { executeRemoteJob, RemoteFollowDetachedError, RemoteJobNotAcceptedError, RemoteLostError } from '@switchyard/runpod';
import {
  connectRedis,
  deploymentLaneOf,
  EndpointRegistry,
  JobStateStores,
  RedisKeys,
  remoteLaneOf,
  type JobEnvelope,
  type Logger,
  type QueueContract,
} from '@switchyard/shared';
import {
  DEFAULT_JOB_RUNNER_OPTIONS,
  JobHandedOverError,
  JobReroutedError,
  JobRunner,
  resolveClaimCheckedInput,
  type JobContext,
  type JobRunnerOptions,
} from '@switchyard/worker';
import type { GatewayConfig } from '../config';
import { BullMq } from '../infra/bullmq';
import { JobQueue } from '../infra/job-queue';
import { CONFIG, LOGGER } from '../infra/tokens';
import { DeploymentBackends, type DeploymentBackend } from './deployment-backends';
import { RemoteBackends, type RemoteBackend } from './remote-backends';
import { ROUTING_SETTINGS } from './routing.tokens';
import type { RoutingSettings } from './routing-settings';

/** A relay that restarts mid-job leaves the remote job running; the next relay follows it. Such restarts are not the remote's fault. */
const RELAY_MAX_LOST_RUNS = 5;

/**
 * Runs the jobs routed to remote backends: one BullMQ worker per remote lane takes a job, submits
 * it to the remote endpoint and mirrors its progress, stream chunks and end into the job's state,
 * through the same JobRunner as a native worker, so status, stream, cancel, the execution timeout,
 * webhooks and the Postgres record behave the same. The remote's job id is saved on the lane's
 * entry before any wait: a relay that stops mid-job leaves an entry BullMQ hands to the next
 * relay, which follows the same remote job. A remote that never accepted the job, or was lost
 * before any chunk was mirrored, fails the job over to the endpoint's local queue when it has one.
 */
@Injectable()
export class RemoteRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly workers = new Map<string, Worker<JobEnvelope>>();
  private readonly relayId = `relay-${randomUUID().slice(0, 8)}`;
  /** Aborted at shutdown: the jobs followed here go back to their lanes, still running remotely, for the next relay to follow. */
  private readonly stopping = new AbortController();
  private subscriber?: Redis;

  constructor(
    @Inject(ROUTING_SETTINGS) private readonly settings: RoutingSettings | undefined,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly endpoints: EndpointRegistry,
    private readonly remotes: RemoteBackends,
    private readonly stores: JobStateStores,
    private readonly bullMq: BullMq,
    private readonly queue: JobQueue,
    private readonly keys: RedisKeys,
    private readonly claimCheck: BlobClaimCheck,
    private readonly deployments: DeploymentBackends,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [endpointId, remote] of this.remotes.entries()) {
      const contract = this.endpoints.find(endpointId)!;
      const hasLocal = this.settings!.config.endpoints[endpointId].local !== undefined;
      this.workLane(remoteLaneOf(contract.queue), contract, () => remote, hasLocal);
    }
    this.deployments.onChange((backends) => this.workDeploymentLanes(backends));
    this.workDeploymentLanes(this.deployments.all());
    await this.listenForCancellations();
  }

  /**
   * Each ready deployment's lane is worked with its capacity. A deployment that is no longer ready
   * keeps its lane's worker: the jobs still waiting there fail over to the local queue, as the
   * deployment's endpoint no longer takes them, so none is left behind.
   */
  private workDeploymentLanes(backends: readonly DeploymentBackend[]): void {
    for (const backend of backends) {
      const lane = deploymentLaneOf(backend.queue, backend.id);
      if (this.workers.has(lane)) continue;
      const contract = this.endpoints.find(backend.queue);
      if (!contract) continue;
      let latest = backend;
      this.workLane(lane, contract, () => (latest = this.deployments.get(backend.id) ?? latest).remote, true);
    }
  }

  /** One BullMQ worker on a lane: it runs each job on the lane's remote through the job runner, as a native worker would. */
  private workLane(lane: string, contract: QueueContract, remoteOf: () => RemoteBackend, hasLocal: boolean): void {
    const runnerOptions: JobRunnerOptions = {
      ...DEFAULT_JOB_RUNNER_OPTIONS,
      errorTracebacks: false,
      maxLostRuns: RELAY_MAX_LOST_RUNS,
      reroute: (queue, job) => this.queue.enqueue(queue, job.id!, asQueued(job.data), { lowPriority: job.data.policy.lowPriority, ttlMs: job.data.policy.ttl }),
    };
    const runner = (job: Job<JobEnvelope>) =>
      new JobRunner(
        contract,
        (input, context) => this.execute(contract, remoteOf(), hasLocal, job, input, context),
        this.stores.of(contract.queue),
        this.relayId,
        this.logger,
        runnerOptions,
      );
    const worker = this.bullMq.worker<JobEnvelope>(
      lane,
      async (job, token, signal) => {
        await resolveClaimCheckedInput(job, this.stores.of(contract.queue), this.claimCheck);
        await runner(job).run(job, token, signal);
      },
      {
        concurrency: remoteOf().config.maxConcurrency,
        maxStalledCount: RELAY_MAX_LOST_RUNS,
      },
    );
    worker.on('error', (error) => this.logger.error({ err: error, queue: lane }, 'relay worker error'));
    this.workers.set(lane, worker);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.subscriber?.quit().catch(() => undefined);
  }

  private async execute(
    contract: QueueContract,
    remote: RemoteBackend,
    hasLocal: boolean,
    job: Job<JobEnvelope>,
    input: unknown,
    context: JobContext,
  ): Promise<unknown> {
    try {
      const result = await executeRemoteJob(
        remote.client,
        { input, policy: job.data.policy, remoteJobId: job.data.remoteJobId },
        {
          signal: context.signal,
          progress: (value) => context.progress(value),
          stream: (chunk) => context.stream(chunk),
          saveRemoteJobId: (remoteJobId) => job.updateData({ ...asQueued(job.data), remoteJobId }),
          breaker: remote.breaker,
          detach: this.stopping.signal,
        },
        { deadAfterMs: this.config.REMOTE_LOST_AFTER_MS },
      );
      return result.output;
    } catch (error) {
      if (error instanceof RemoteFollowDetachedError) throw handOver(error);
      const note = hasLocal ? failoverNote(error) : undefined;
      if (note) throw new JobReroutedError(contract.queue, 'local', note);
      throw error;
    }
  }

  private async listenForCancellations(): Promise<void> {
    this.subscriber = connectRedis(this.config.REDIS_URL, 'blocking', `gateway:${this.relayId}:cancellations`);
    this.subscriber.on('message', (_channel: string, jobId: string) => {
      for (const worker of this.workers.values()) worker.cancelJob(jobId, 'cancelled');
    });
    await this.subscriber.subscribe(this.keys.cancellations);
  }
}

/** Why a job the remote could not run may run locally instead: the remote never took it, or lost it before streaming anything. */
function failoverNote(error: unknown): string | undefined {
  if (error instanceof RemoteJobNotAcceptedError) return `failed over from remote: ${error.message}`;
  if (error instanceof RemoteLostError && !error.streamed) return `failed over from remote: ${error.message}`;
  return undefined;
}

/** The job waits in its lane again at once, its remote id kept, and the next relay follows it. */
function handOver(detached: RemoteFollowDetachedError): JobHandedOverError {
  return new JobHandedOverError(`${detached.message}; this relay is stopping, another one follows it`);
}

/** The entry as it was queued: no remote job, and an input held as a blob by its reference only. */
function asQueued(envelope: JobEnvelope): JobEnvelope {
  const { remoteJobId: _remoteJobId, ...rest } = envelope;
  return rest.inputBlob ? { ...rest, input: undefined } : rest;
}
