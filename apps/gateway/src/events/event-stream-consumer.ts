import type { Redis } from 'ioredis';
import { parseJobEvent, type JobEvent, type Logger } from '@switchyard/shared';

type StreamReply = [string, [string, string[]][]][] | null;

export interface EventStreamConsumerOptions {
  stream: string;
  group: string;
  consumer: string;
  batchSize: number;
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
 */
export class EventStreamConsumer {
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly options: EventStreamConsumerOptions,
    private readonly handle: (events: JobEvent[]) => Promise<void>,
    private readonly logger: Logger,
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
        const reply = (readPending
          ? await this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'STREAMS', stream, '0')
          : await this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'BLOCK', 2_000, 'STREAMS', stream, '>')) as StreamReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          readPending = false;
          continue;
        }
        // A pending entry whose data was trimmed comes back with null fields: nothing left to record.
        const events = entries.filter(([, fields]) => fields).map(([id, fields]) => parseJobEvent(id, fields));
        await this.handle(events);
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

  private async claimAbandoned(): Promise<boolean> {
    const { stream, group, consumer, claimIdleMs, batchSize } = this.options;
    const [, claimed] = (await this.redis.xautoclaim(stream, group, consumer, claimIdleMs, '0-0', 'COUNT', batchSize, 'JUSTID')) as [string, string[]];
    return claimed.length > 0;
  }

  /** Drops entries every reader of the group has acknowledged; never one still pending. */
  private async trimAcknowledged(): Promise<void> {
    const { stream, group } = this.options;
    const groups = (await this.redis.xinfo('GROUPS', stream)) as unknown[][];
    const info = groups.map((fields) => Object.fromEntries(toPairs(fields))).find((entry) => entry.name === group);
    if (!info) return;
    const pending = (await this.redis.xpending(stream, group)) as [number, string | null, string | null, unknown];
    const oldestPending = pending[0] > 0 ? pending[1] : null;
    const horizon = oldestPending ?? String(info['last-delivered-id']);
    if (horizon && horizon !== '0-0') await this.redis.xtrim(stream, 'MINID', '~', horizon);
  }
}

function toPairs(fields: unknown[]): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([String(fields[i]), fields[i + 1]]);
  return pairs;
}
