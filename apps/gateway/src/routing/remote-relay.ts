import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { executeRemoteJob, RemoteFollowDetachedError, RemoteJobNotAcceptedError, RemoteLostError } from '@switchyard/runpod';
import { connectRedis, EndpointRegistry, JobStateStores, RedisKeys, remoteLaneOf, type JobEnvelope, type Logger, type QueueContract } from '@switchyard/shared';
import { DEFAULT_JOB_RUNNER_OPTIONS, JobHandedOverError, JobReroutedError, JobRunner, type JobContext, type JobRunnerOptions } from '@switchyard/worker';
import type { GatewayConfig } from '../config';
import { BullMq } from '../infra/bullmq';
import { JobQueue } from '../infra/job-queue';
import { CONFIG, LOGGER } from '../infra/tokens';
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [endpointId, remote] of this.remotes.entries()) {
      const contract = this.endpoints.find(endpointId)!;
      const hasLocal = this.settings!.config.endpoints[endpointId].local !== undefined;
      const runnerOptions: JobRunnerOptions = {
        ...DEFAULT_JOB_RUNNER_OPTIONS,
        errorTracebacks: false,
        maxLostRuns: RELAY_MAX_LOST_RUNS,
        reroute: (queue, job) =>
          this.queue.enqueue(queue, job.id!, withoutRemoteJob(job.data), { lowPriority: job.data.policy.lowPriority, ttlMs: job.data.policy.ttl }),
      };
      const runner = (job: Job<JobEnvelope>) =>
        new JobRunner(
          contract,
          (input, context) => this.execute(contract, remote, hasLocal, job, input, context),
          this.stores.of(contract.queue),
          this.relayId,
          this.logger,
          runnerOptions,
        );
      const lane = remoteLaneOf(contract.queue);
      const worker = this.bullMq.worker<JobEnvelope>(lane, (job, token, signal) => runner(job).run(job, token, signal), {
        concurrency: remote.config.maxConcurrency,
        maxStalledCount: RELAY_MAX_LOST_RUNS,
      });
      worker.on('error', (error) => this.logger.error({ err: error, queue: lane }, 'relay worker error'));
      this.workers.set(lane, worker);
    }
    if (this.workers.size) await this.listenForCancellations();
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
          saveRemoteJobId: (remoteJobId) => job.updateData({ ...job.data, remoteJobId }),
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

function withoutRemoteJob(envelope: JobEnvelope): JobEnvelope {
  const { remoteJobId: _remoteJobId, ...rest } = envelope;
  return rest;
}
