import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { isFinalStatus, JobStateStore, type Logger } from '@switchyard/shared';
import { QueueRegistry } from '../infra/queue-registry';
import { LOGGER } from '../infra/tokens';

const SWEEP_INTERVAL_MS = 30_000;
const FAILED_JOBS_PER_SWEEP = 500;

/**
 * Workers record how every job ends before BullMQ moves it to `failed`, so a failed BullMQ job
 * whose Switchyard state is still open ended without its worker saying so: BullMQ gave up on it
 * after it stalled too often (workers kept dying on it), or the worker lost Redis at the last
 * moment. This sweep records those jobs as FAILED so that no client waits on them until their TTL.
 * Transitions are idempotent, so every gateway replica may sweep.
 */
@Injectable()
export class JobReconciler implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly queues: QueueRegistry,
    private readonly store: JobStateStore,
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
    const closed: string[] = [];
    for (const queue of this.queues.all()) {
      for (const job of await queue.getFailed(0, FAILED_JOBS_PER_SWEEP - 1)) {
        const view = await this.store.get(job.id!);
        if (!view || isFinalStatus(view.status)) continue;
        const error = JSON.stringify({ error_type: 'WorkerLost', error_message: job.failedReason || 'the job ended without its worker reporting it', error_traceback: '' });
        const result = await this.store.fail(job.id!, error);
        if (result.applied) {
          closed.push(job.id!);
          this.logger.warn({ jobId: job.id, reason: job.failedReason }, 'job failed without its worker recording it; marked FAILED');
        }
      }
    }
    return closed;
  }
}
