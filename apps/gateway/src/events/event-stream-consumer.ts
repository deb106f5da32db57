import type { Redis } from 'ioredis';
import { parseJobEvent, type JobEvent, type Logger } from '@switchyard/shared';

type StreamEntry = [id: string, fields: string[] | null];
type StreamReply = [string, StreamEntry[]][] | null;

/** Where entries go that cannot be handled, and how to tell a bad entry from a sink that is down. */
export interface DeadLettering {
  /** Whether the sink (the database) answers at all: while it does not, nothing is dead-lettered. */
  sinkReachable(): Promise<boolean>;
  /** Takes an entry that failed alone, `attempts` times in a row, while the sink answered. */
  deadLetter(entry: { id: string; fields: string[]; event: JobEvent }, error: unknown): Promise<void>;
  /** How often one entry may fail alone before it is dead-lettered. */
  attempts: number;
}

export interface EventStreamConsumerOptions {
  stream: string;
  group: string;
  consumer: string;
  batchSize: number;
  /**
   * A batch holds at most this many bytes of entry fields (one entry alone may hold more), so no
   * batch, joined into one statement, can pass a memory or string limit however large its events.
   */
  maxBatchBytes: number;
  /** Entries another consumer left unacknowledged this long are taken over (that consumer died). */
  claimIdleMs: number;
  /**
   * After a batch that was not full, wait this long before reading again, so that events gather
   * into fewer, larger transactions instead of one per request (readers of live state use Redis).
   */
  lingerMs: number;
}

/**
 * Reads the job event stream through a consumer group and hands batches to `handle`; a batch is
 * acknowledged only after `handle` succeeds, so every event is handled at least once, across
 * restarts of the reader or a failing database. On failure it backs off and reads its own pending
 * entries again before anything new. Acknowledged entries are trimmed from the stream.
 *
 * No single entry can stop it: when a batch fails while the sink answers, the batch is split in
 * halves until the entry at fault stands alone, and an entry that keeps failing alone is handed to
 * `deadLettering` and acknowledged, so the entries after it are recorded.
 */
export class EventStreamConsumer {
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly options: EventStreamConsumerOptions,
    private readonly handle: (events: JobEvent[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly deadLettering?: DeadLettering,
  ) {}

  async start(): Promise<void> {
    const { stream, group } = this.options;
    try {
      await this.redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { stream, group, consumer, batchSize } = this.options;
    let readPending = true;
    let failures = 0;
    let lastMaintenance = 0;
    while (this.running) {
      try {
        if (Date.now() - lastMaintenance > 5_000) {
          lastMaintenance = Date.now();
          if (await this.claimAbandoned()) readPending = true;
          await this.trimAcknowledged();
        }
        const reply = (
          readPending
            ? await this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'STREAMS', stream, '0')
            : await this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'BLOCK', 2_000, 'STREAMS', stream, '>')
        ) as StreamReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          readPending = false;
          continue;
        }
        // A pending entry whose data was trimmed comes back with null fields: nothing left to record.
        const live = entries.filter((entry): entry is [string, string[]] => entry[1] !== null);
        for (const batch of byteBoundedBatches(live, this.options.maxBatchBytes)) await this.handleIsolating(batch);
        await this.redis.xack(stream, group, ...entries.map(([id]) => id));
        failures = 0;
        if (entries.length < batchSize && !readPending) await new Promise((resolve) => setTimeout(resolve, this.options.lingerMs));
      } catch (error) {
        if (!this.running) return;
        failures += 1;
        readPending = true;
        const delay = Math.min(200 * 2 ** Math.min(failures, 5), 5_000);
        this.logger.warn({ err: error, retryInMs: delay, failures }, 'recording job events failed; will retry');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Handles the entries; when that fails while the sink answers, handles each half on its own, so
   * a bad entry ends up alone. An entry that fails alone is tried `attempts` times, a moment
   * apart, then dead-lettered. Halves handled before a failure that is thrown are handled again on
   * the retry, which `handle` must tolerate (it is idempotent).
   */
  private async handleIsolating(entries: [string, string[]][]): Promise<void> {
    if (entries.length === 0) return;
    const events = entries.map(([id, fields]) => parseJobEvent(id, fields));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.handle(events);
        return;
      } catch (error) {
        if (!this.deadLettering || !(await this.deadLettering.sinkReachable().catch(() => false))) throw error;
        if (entries.length > 1) {
          const half = Math.ceil(entries.length / 2);
          await this.handleIsolating(entries.slice(0, half));
          await this.handleIsolating(entries.slice(half));
          return;
        }
        if (attempt >= this.deadLettering.attempts) {
          const [id, fields] = entries[0];
          await this.deadLettering.deadLetter({ id, fields, event: events[0] }, error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private async claimAbandoned(): Promise<boolean> {
    const { stream, group, consumer, claimIdleMs, batchSize } = this.options;
    const [, claimed] = (await this.redis.xautoclaim(stream, group, consumer, claimIdleMs, '0-0', 'COUNT', batchSize, 'JUSTID')) as [string, string[]];
    return claimed.length > 0;
  }

  /** Drops entries every reader of the group has acknowledged; never one still pending. */
  private async trimAcknowledged(): Promise<void> {
    const progress = await groupProgress(this.redis, this.options.stream, this.options.group);
    const horizon = progress && (progress.oldestPendingId ?? progress.lastDeliveredId);
    if (horizon && horizon !== '0-0') await this.redis.xtrim(this.options.stream, 'MINID', '~', horizon);
  }
}

/** Cuts entries, in order, into runs of at most `maxBytes` of field text each (an entry larger than that runs alone). */
export function byteBoundedBatches<T extends [string, string[]]>(entries: T[], maxBytes: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    let size = 0;
    for (const field of entry[1]) size += field.length;
    if (current.length && bytes + size > maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** How far a consumer group has got: the last entry it was given, and the oldest it has not acknowledged. */
async function groupProgress(redis: Redis, stream: string, group: string): Promise<{ lastDeliveredId: string; oldestPendingId?: string } | undefined> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  const info = groups.map((fields) => Object.fromEntries(toPairs(fields))).find((entry) => entry.name === group);
  if (!info) return undefined;
  const [count, oldestPendingId] = (await redis.xpending(stream, group)) as [number, string | null];
  return { lastDeliveredId: String(info['last-delivered-id']), oldestPendingId: count > 0 && oldestPendingId ? oldestPendingId : undefined };
}

/**
 * How long the oldest entry that `group` has not handled yet has waited, in ms (0 when none):
 * pending in the group, or not yet delivered to it. Entry ids start with the time they were added.
 */
export async function consumerGroupLagMs(redis: Redis, stream: string, group: string, now = Date.now()): Promise<number> {
  const progress = await groupProgress(redis, stream, group);
  if (!progress) return 0;
  const [undelivered] = (await redis.xrange(stream, `(${progress.lastDeliveredId}`, '+', 'COUNT', 1)) as [string, string[]][];
  const oldest = [progress.oldestPendingId, undelivered?.[0]].filter((id): id is string => Boolean(id)).map((id) => Number(id.split('-')[0]));
  return oldest.length ? Math.max(0, now - Math.min(...oldest)) : 0;
}

function toPairs(fields: unknown[]): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([String(fields[i]), fields[i + 1]]);
  return pairs;
}
