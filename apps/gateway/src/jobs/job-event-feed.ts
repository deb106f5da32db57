import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { BlobClaimCheck } from '@switchyard/blobs';
import { isFinalEvent, isFinalStatus, resolveStored, type BlobRef, type JobEvent, type Logger } from '@switchyard/shared';
import { NotFoundError } from '../http/api-errors';
import { JobEventRepository } from '../database/job-event.repository';
import { JobRepository } from '../database/job.repository';
import { LOGGER } from '../infra/tokens';
import type { Principal } from '../auth/principal';
import { JobOutputs } from '../status/job-outputs';
import { viewToRecord, type JobRecordLike, type JobStatusResponse } from '../status/job-status-response';
import { JobWaiter } from './job-waiter';
import { JobsService } from './jobs.service';

/** What a follower of a job hears, each item numbered by the job's event sequence (the SSE id). */
export type FeedItem =
  | { type: 'progress'; seq: number; data: { output: unknown } }
  | { type: 'chunk'; seq: number; data: { output: unknown } }
  | { type: 'status'; seq: number; data: JobStatusResponse }
  /** An event an API derives from the job's own (a deployment's status and log lines), sent under its own name. */
  | { type: 'derived'; name: string; seq: number; data: unknown }
  | { type: 'ping' };

/** How often a feed says it is alive (and checks the job, in case an end went unheard). */
const HEARTBEAT_MS = 15_000;
/** How long a feed waits for the recorder to catch up with the job before it replays what was recorded. */
const REPLAY_WAIT_MS = 5_000;
const REPLAY_PAGE_SIZE = 500;
const REPLAY_POLL_MS = 50;

/** One follower's view of a job: items in order, ending after the final status or on close. */
export class JobFeed {
  private readonly items: FeedItem[] = [];
  private wake?: () => void;
  private ended = false;
  private readonly cleanups: (() => void)[] = [];

  /** The next item, or undefined once the feed has ended and its items were taken. */
  async next(): Promise<FeedItem | undefined> {
    while (this.items.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.items.shift();
  }

  push(item: FeedItem): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake?.();
  }

  /** Ends the feed once its items are taken; what it held on to is released at once. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.wake?.();
  }

  /** Drops what has not been taken and ends: the follower went away. */
  close(): void {
    this.items.length = 0;
    this.end();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }
}

/**
 * Follows jobs for the SSE stream: progress values, stream chunks and status changes, until the
 * job ends. A follower first gets what the job produced before it came (from Postgres, once the
 * recorder has caught up with the job, or after the events it names with Last-Event-ID), then its
 * current status, then each event as the process's reader of its wake stream hands it over.
 * Chunks are read, not taken: the JSON `/stream` still answers the chunks it has not returned.
 */
@Injectable()
export class JobEventFeeds implements BeforeApplicationShutdown {
  private readonly open = new Set<JobFeed>();

  constructor(
    private readonly jobRecords: JobRepository,
    private readonly jobEvents: JobEventRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: JobsService,
    private readonly waiter: JobWaiter,
    private readonly outputs: JobOutputs,
    @Inject(BlobClaimCheck) private readonly claimCheck: BlobClaimCheck,
  ) {}

  /** Opens a feed of the job after event `afterSeq` (0: from the start); unknown jobs throw NotFoundError. */
  async follow(endpointId: string, jobId: string, principal: Principal, afterSeq = 0): Promise<JobFeed> {
    // Followed before the job is read, so no event between the read and the first live one is lost.
    const early: JobEvent[] = [];
    let hear = (event: JobEvent) => void early.push(event);
    const unfollow = await this.waiter.follow(this.jobs.endpoint(endpointId).queue, jobId, (event) => hear(event));
    let job: JobRecordLike;
    try {
      job = await this.jobs.find(endpointId, jobId, principal);
    } catch (error) {
      unfollow();
      throw error;
    }
    const feed = new JobFeed();
    feed.onEnd(unfollow);
    this.open.add(feed);
    feed.onEnd(() => this.open.delete(feed));

    void this.start(feed, endpointId, job, afterSeq).then(
      (sent) => {
        let last = sent;
        // Items are resolved one after another (a claim-checked value is fetched), so they keep their order.
        let pushed = Promise.resolve();
        hear = (event) => {
          if (event.seq <= last) return;
          last = event.seq;
          pushed = pushed
            .then(() => this.pushEvent(feed, endpointId, event))
            .catch((error: unknown) => this.logger.warn({ err: error, jobId, seq: event.seq }, 'job feed could not send an event'));
        };
        for (const event of early.splice(0)) hear(event);
        this.keepAlive(feed, endpointId, jobId, principal, () => last);
      },
      (error: unknown) => {
        this.logger.warn({ err: error, jobId }, 'job feed could not start');
        feed.end();
      },
    );
    return feed;
  }

  beforeApplicationShutdown(): void {
    for (const feed of [...this.open]) feed.end();
  }

  /** Replays what came before, then the current status; answers the last sequence number sent. */
  private async start(feed: JobFeed, endpointId: string, job: JobRecordLike, afterSeq: number): Promise<number> {
    const neverStarted = job.status === 'IN_QUEUE' && job.attempts === 0;
    if (job.seq > afterSeq && !neverStarted) await this.replay(feed, job.id, afterSeq, job.seq);
    feed.push({ type: 'status', seq: job.seq, data: await this.outputs.statusOf(endpointId, job) });
    if (isFinalStatus(job.status)) feed.end();
    return Math.max(job.seq, afterSeq);
  }

  private async replay(feed: JobFeed, jobId: string, afterSeq: number, upToSeq: number): Promise<void> {
    const deadline = Date.now() + REPLAY_WAIT_MS;
    while (!feed.isEnded) {
      const recordedSeq = await this.jobRecords.recordedSeq(jobId);
      if ((recordedSeq !== undefined && recordedSeq >= upToSeq) || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
    }
    for (let after = afterSeq; !feed.isEnded;) {
      const rows = await this.jobEvents.outputs(jobId, after, upToSeq, REPLAY_PAGE_SIZE);
      for (const row of rows) {
        const output = row.payloadBlob ? JSON.parse(await this.claimCheck.load(row.payloadBlob as unknown as BlobRef)) : (row.payload ?? null);
        feed.push({ type: row.type === 'stream' ? 'chunk' : 'progress', seq: row.seq, data: { output } });
      }
      if (rows.length < REPLAY_PAGE_SIZE) return;
      after = rows[rows.length - 1].seq;
    }
  }

  /** Sends one live event; values held as blobs (large chunks, outputs) are fetched, as the JSON routes inline them. */
  private async pushEvent(feed: JobFeed, endpointId: string, event: JobEvent): Promise<void> {
    if (event.type === 'progress' || event.type === 'stream') {
      const output = event.payload === undefined ? null : JSON.parse(await resolveStored(event.payload, this.claimCheck));
      feed.push({ type: event.type === 'stream' ? 'chunk' : 'progress', seq: event.seq, data: { output } });
      return;
    }
    feed.push({ type: 'status', seq: event.seq, data: await this.outputs.statusOf(endpointId, viewToRecord(event.view)) });
    if (isFinalEvent(event)) feed.end();
  }

  /**
   * Pings a quiet feed, and checks the job each time: an end the reader missed (a Redis outage) or
   * a job gone past its TTL still closes the feed.
   */
  private keepAlive(feed: JobFeed, endpointId: string, jobId: string, principal: Principal, lastSent: () => number): void {
    const timer = setInterval(() => {
      feed.push({ type: 'ping' });
      const check = async () => {
        const job = await this.jobs.find(endpointId, jobId, principal);
        if (!isFinalStatus(job.status) || feed.isEnded) return;
        feed.push({ type: 'status', seq: Math.max(job.seq, lastSent()), data: await this.outputs.statusOf(endpointId, job) });
        feed.end();
      };
      check().catch((error: unknown) => {
        if (error instanceof NotFoundError) feed.end();
        else this.logger.warn({ err: error, jobId }, 'job feed could not check the job');
      });
    }, HEARTBEAT_MS);
    timer.unref();
    feed.onEnd(() => clearInterval(timer));
  }
}
