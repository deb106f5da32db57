/**
 * Every Redis key Switchyard uses, under one prefix. Keys of one queue share a hash tag, `{queue}`,
 * so on a Redis Cluster each queue's jobs, events and BullMQ keys sit in one slot, where one Lua
 * script can touch them all, while different queues spread over the cluster.
 */
export class RedisKeys {
  private readonly queues = new Map<string, QueueKeys>();

  constructor(readonly prefix = 'sy') {
    if (/[{}]/.test(prefix)) throw new RangeError(`Redis key prefix "${prefix}" must not hold a hash tag: each queue's keys get their own`);
  }

  /** The keys of one queue (a job queue, or the platform's own such as `webhooks`). */
  queue(queue: string): QueueKeys {
    let keys = this.queues.get(queue);
    if (!keys) this.queues.set(queue, (keys = new QueueKeys(`${this.prefix}:{${queue}}`)));
    return keys;
  }

  get cancellations(): string {
    return `${this.prefix}:cancellations`;
  }

  /** The channel on which a change to the set of ready deployments is announced. */
  get deploymentChanges(): string {
    return `${this.prefix}:deployment-changes`;
  }

  rateWindow(subject: string, bucket: string, window: number): string {
    return `${this.prefix}:rate:${subject}:${bucket}:${window}`;
  }

  /** Set when an API key is revoked, so every gateway refuses it at once despite its key cache. */
  revokedApiKey(apiKeyId: string): string {
    return `${this.prefix}:revoked-key:${apiKeyId}`;
  }
}

/** The keys of one queue, all under its hash tag: `<prefix>:{<queue>}:…`. */
export class QueueKeys {
  constructor(readonly prefix: string) {}

  /** Prefix handed to BullMQ; its keys become `<prefix>:{<queue>}:bull:<queue>:…`. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }

  jobView(jobId: string): string {
    return `${this.prefix}:job:${jobId}`;
  }

  jobChunks(jobId: string): string {
    return `${this.prefix}:job:${jobId}:chunks`;
  }

  /** The gateways waiting on the job, each with what it wants to hear (see JobStateStore.watch). */
  jobWatchers(jobId: string): string {
    return `${this.prefix}:job:${jobId}:watchers`;
  }

  /** One gateway process's wake stream: the events of the queue's jobs it waits on or follows. */
  wakeStream(gatewayId: string): string {
    return `${this.prefix}:wake:${gatewayId}`;
  }

  /** The queue's event stream, read by the recorder (one consumer group). */
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

  /** The worker processes serving the queue, with their concurrency and active jobs (see WorkerPresences). */
  get workers(): string {
    return `${this.prefix}:workers`;
  }

  /** Jobs external workers hold over the gateway's worker protocol: job id → holder, lock token, deadline. */
  get externalHolds(): string {
    return `${this.prefix}:external-holds`;
  }

  /** The ids of the jobs an external worker holds (an index of externalHolds). */
  externalHeldBy(workerId: string): string {
    return `${this.prefix}:external-held-by:${workerId}`;
  }

  /** Set while a take of the worker's is answered: one take at a time per worker. */
  externalTake(workerId: string): string {
    return `${this.prefix}:external-take:${workerId}`;
  }

  /** Jobs the platform ended (cancelled, timed out) that an external worker still runs, until its job-stop poll hears of them. */
  externalStops(workerId: string): string {
    return `${this.prefix}:external-stops:${workerId}`;
  }
}
