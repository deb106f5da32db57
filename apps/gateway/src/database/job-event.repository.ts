import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@switchyard/db';
import type { JobEvent } from '@switchyard/shared';
import { DATABASE } from '../infra/tokens';
import { markJobUnrecorded, recordJobEvents, type WebhookDue } from './job-event-recorder';

/** A progress value or stream chunk as recorded, for followers that come late. */
export interface RecordedOutput {
  seq: number;
  type: string;
  payload: unknown;
  payloadBlob: unknown;
}

/** Job events in Postgres: written by the recorder, read back by SSE followers. */
@Injectable()
export class JobEventRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Writes a batch idempotently (see recordJobEvents); answers the webhook deliveries it made due. */
  record(events: JobEvent[]): Promise<WebhookDue[]> {
    return recordJobEvents(this.database.prisma, events);
  }

  markUnrecorded(event: JobEvent, reason: string): Promise<void> {
    return markJobUnrecorded(this.database.prisma, event, reason);
  }

  /** Whether the database answers at all: a batch it refuses while it answers holds an event at fault. */
  async reachable(): Promise<boolean> {
    await this.database.ping();
    return true;
  }

  /** The job's progress values and stream chunks after `afterSeq` up to `upToSeq`, in order, `limit` at most. */
  outputs(jobId: string, afterSeq: number, upToSeq: number, limit: number): Promise<RecordedOutput[]> {
    return this.database.prisma.jobEvent.findMany({
      where: { jobId, seq: { gt: afterSeq, lte: upToSeq }, type: { in: ['progress', 'stream'] } },
      orderBy: { seq: 'asc' },
      select: { seq: true, type: true, payload: true, payloadBlob: true },
      take: limit,
    });
  }
}
