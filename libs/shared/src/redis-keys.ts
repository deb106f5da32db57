/**
 * Every Redis key Switchyard uses, under one prefix. The default prefix is a hash tag so that, on a
 * Redis Cluster, a job's view, its chunks and the event stream share a slot and one Lua script can
 * touch them all.
 */
export class RedisKeys {
  constructor(readonly prefix = '{sy}') {}

  /** Prefix handed to BullMQ; its keys become `<prefix>:bull:<queue>:…`. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }

  jobView(jobId: string): string {
    return `${this.prefix}:job:${jobId}`;
  }

  jobChunks(jobId: string): string {
    return `${this.prefix}:job:${jobId}:chunks`;
  }

  get events(): string {
    return `${this.prefix}:events`;
  }

  get jobStats(): string {
    return `${this.prefix}:job-stats`;
  }

  /** Jobs queued but not yet started, by when they were queued: the reconciler looks for lost queue entries here. */
  get awaitingEnqueue(): string {
    return `${this.prefix}:awaiting-enqueue`;
  }

  /** Events the recorder could not write, with why; replayed with `npm run events -- replay`. */
  get deadEvents(): string {
    return `${this.prefix}:events:dead`;
  }

  get cancellations(): string {
    return `${this.prefix}:cancellations`;
  }

  rateWindow(subject: string, bucket: string, window: number): string {
    return `${this.prefix}:rate:${subject}:${bucket}:${window}`;
  }

  /** Set when an API key is revoked, so every gateway refuses it at once despite its key cache. */
  revokedApiKey(apiKeyId: string): string {
    return `${this.prefix}:revoked-key:${apiKeyId}`;
  }
}
