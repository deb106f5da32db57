import { Inject, Injectable } from '@nestjs/common';
import type { QueueContract } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { QueueFullError } from '../http/api-errors';
import { JobQueue, WAITING_STATES } from '../infra/job-queue';
import { CONFIG } from '../infra/tokens';

/** How long a queue's depth is reused: admission costs no Redis call on most requests, at the price of overshooting by a moment's arrivals. */
const DEPTH_REUSE_MS = 250;

/**
 * Refuses new jobs while an endpoint's queue holds its configured maximum of waiting jobs, so a
 * burst is answered 429 with Retry-After instead of growing the queue without end.
 */
@Injectable()
export class QueueAdmission {
  private readonly depths = new Map<string, { at: number; depth: Promise<number> }>();

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly queue: JobQueue,
  ) {}

  async admit(endpointId: string, contract: QueueContract): Promise<void> {
    const max = this.config.MAX_QUEUED_JOBS_PER_ENDPOINT;
    if (max === 0) return;
    if ((await this.depth(contract)) >= max) throw new QueueFullError(endpointId, max, 1);
  }

  private depth(contract: QueueContract): Promise<number> {
    const cached = this.depths.get(contract.queue);
    if (cached && Date.now() - cached.at < DEPTH_REUSE_MS) return cached.depth;
    const depth = this.queue.counts(contract.queue, WAITING_STATES).then((counts) => WAITING_STATES.reduce((sum, state) => sum + counts[state], 0));
    this.depths.set(contract.queue, { at: Date.now(), depth });
    depth.catch(() => this.depths.delete(contract.queue));
    return depth;
  }
}
