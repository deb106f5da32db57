import type { Redis } from 'ioredis';
import { pairsToRecord, toStorableText, type QueueKeys } from '@switchyard/shared';

/** Fields the dead-letter stream adds to an event's own; the rest is the event as it was. */
const DEAD_LETTER_FIELDS = ['dl_entry', 'dl_error', 'dl_at'] as const;

export interface DeadLetter {
  /** Its id in the dead-letter stream. */
  id: string;
  /** The event's id in the event stream it came from. */
  entry: string;
  jobId: string;
  seq: number;
  type: string;
  error: string;
  at: number;
}

type Entries = [string, string[]][];

/**
 * Events the recorder could not write, kept whole with why, so that nothing is dropped in silence:
 * after a fix, `replay` puts them back on the event stream, where the recorder (idempotent on
 * job and sequence) writes them like any other.
 */
export class DeadLetters {
  private readonly eventStream: string;
  private readonly deadLetterStream: string;

  constructor(
    private readonly redis: Redis,
    keys: QueueKeys,
  ) {
    this.eventStream = keys.events;
    this.deadLetterStream = keys.deadEvents;
  }

  async add(entryId: string, fields: string[], error: unknown): Promise<string> {
    const message = toStorableText(error instanceof Error ? error.message : String(error)).slice(0, 4_000);
    return (await this.redis.xadd(this.deadLetterStream, '*', ...fields, 'dl_entry', entryId, 'dl_error', message, 'dl_at', String(Date.now())))!;
  }

  async list(count = 100): Promise<DeadLetter[]> {
    return ((await this.redis.xrange(this.deadLetterStream, '-', '+', 'COUNT', count)) as Entries).map(([id, fields]) => describe(id, fields));
  }

  async count(): Promise<number> {
    return this.redis.xlen(this.deadLetterStream);
  }

  /** Puts the given dead letters (all, when `ids` is empty) back on the event stream; returns how many. */
  async replay(ids: readonly string[] = []): Promise<number> {
    const entries = ids.length
      ? (await Promise.all(ids.map((id) => this.redis.xrange(this.deadLetterStream, id, id) as Promise<Entries>))).flat()
      : ((await this.redis.xrange(this.deadLetterStream, '-', '+')) as Entries);
    for (const [id, fields] of entries) {
      const original: string[] = [];
      for (let i = 0; i < fields.length; i += 2) {
        if (!(DEAD_LETTER_FIELDS as readonly string[]).includes(fields[i])) original.push(fields[i], fields[i + 1]);
      }
      await this.redis
        .multi()
        .xadd(this.eventStream, '*', ...original)
        .xdel(this.deadLetterStream, id)
        .exec();
    }
    return entries.length;
  }
}

function describe(id: string, fields: string[]): DeadLetter {
  const record = pairsToRecord(fields);
  return {
    id,
    entry: record.dl_entry,
    jobId: record.ev_job,
    seq: Number(record.ev_seq),
    type: record.ev_type,
    error: record.dl_error,
    at: Number(record.dl_at),
  };
}
