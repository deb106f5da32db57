import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { bullQueueOf, isFinalStatus, JobStateStores, remoteLaneOf, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { JobQueue } from '../infra/job-queue';
import { CONFIG, LOGGER } from '../infra/tokens';

const SWEEP_INTERVAL_MS = 30_000;
const JOBS_PER_SWEEP = 500;

function lostJobError(errorType: string, message: string): string {
  return JSON.stringify({ error_type: errorType, error_message: message });
}

/**
 * Closes jobs whose state is open but that nothing will ever run or finish, so that no client
 * waits on them until their TTL:
 * - Workers record how every job ends before BullMQ moves it to `failed`, so a failed BullMQ job
 *   whose Switchyard state is still open ended without its worker saying so: BullMQ gave up on it
 *   after it stalled too often (workers kept dying on it), or the worker lost Redis at the last
 *   moment (`WorkerLost`).
 * - A job is queued in the state store before its BullMQ entry is added; a gateway that died in
 *   between left a job no worker can see. One still queued past a grace period with no entry is
 *   failed (`EnqueueLost`).
 * Transitions are idempotent, so every gateway replica may sweep.
 */
@Injectable()
export class JobReconciler implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly queue: JobQueue,
    private readonly stores: JobStateStores,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep().catch((error) => this.logger.warn({ err: error }, 'job reconciliation failed')), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns the ids of the jobs it closed. */
  async sweep(): Promise<string[]> {
    return [...(await this.closeUnenqueued()), ...(await this.closeAbandoned())];
  }

  private async closeUnenqueued(): Promise<string[]> {
    const closed: string[] = [];
    for (const queue of this.queue.names()) {
      const store = this.stores.of(queue);
      const confirmed: string[] = [];
      for (const jobId of await store.awaitingEnqueue(Date.now() - this.config.RECONCILE_ENQUEUE_GRACE_MS, JOBS_PER_SWEEP)) {
        const view = await store.get(jobId);
        if (!view || view.status !== 'IN_QUEUE' || (await this.queue.find(bullQueueOf(view), jobId))) {
          confirmed.push(jobId);
          continue;
        }
        const result = await store.fail(
          jobId,
          lostJobError('EnqueueLost', 'The job was accepted but never reached its queue (the gateway stopped before enqueueing it)'),
        );
        if (result.applied) {
          closed.push(jobId);
          this.logger.warn({ jobId }, 'job accepted but never enqueued; marked FAILED');
        }
      }
      await store.enqueueConfirmed(confirmed);
    }
    return closed;
  }

  private async closeAbandoned(): Promise<string[]> {
    const closed: string[] = [];
    for (const queue of this.queue.names()) {
      const store = this.stores.of(queue);
      const failed = (await Promise.all([queue, remoteLaneOf(queue)].map((name) => this.queue.failed(name, JOBS_PER_SWEEP)))).flat();
      for (const job of failed) {
        const view = await store.get(job.id);
        if (!view || isFinalStatus(view.status)) continue;
        const error = lostJobError('WorkerLost', job.failedReason || 'the job ended without its worker reporting it');
        const result = await store.fail(job.id, error);
        if (result.applied) {
          closed.push(job.id);
          this.logger.warn({ jobId: job.id, reason: job.failedReason }, 'job failed without its worker recording it; marked FAILED');
        }
      }
    }
    return closed;
  }
}
