import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis, homeQueueOf, type RedisKeys } from '@switchyard/shared';

/**
 * The gateway's one door to BullMQ: every queue it produces to and every queue it works, each on
 * its queue's key prefix, closed together at shutdown (workers first, so that the jobs they hold
 * finish while their queues are still open).
 */
export class BullMq {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private producerConnection?: Redis;

  constructor(
    private readonly redisUrl: string,
    private readonly keys: RedisKeys,
  ) {}

  /** The producer of a queue, opened on first use; every producer shares one connection. */
  queue<Data>(name: string): Queue<Data> {
    let queue = this.queues.get(name);
    if (!queue) {
      this.producerConnection ??= this.connect('gateway:queues');
      queue = new Queue(name, { connection: this.producerConnection, prefix: this.keys.queue(homeQueueOf(name)).bullPrefix });
      this.queues.set(name, queue);
    }
    return queue as Queue<Data>;
  }

  /** Works a queue in this process, on a connection of its own: a worker blocks while it waits for jobs. */
  worker<Data>(name: string, processor: Processor<Data>, options: Omit<WorkerOptions, 'connection' | 'prefix'>): Worker<Data> {
    const worker = new Worker<Data>(name, processor, {
      ...options,
      connection: this.connect(`gateway:${name}`),
      prefix: this.keys.queue(homeQueueOf(name)).bullPrefix,
    });
    this.workers.push(worker);
    return worker;
  }

  /**
   * A worker of a queue whose jobs are taken one by one with `getNextJob` (BullMQ's manual
   * processing) and moved on by whoever finishes them, with the lock token they were taken with.
   */
  manualWorker<Data>(name: string, options: Omit<WorkerOptions, 'connection' | 'prefix' | 'autorun'>): Worker<Data> {
    const worker = new Worker<Data>(name, null, {
      ...options,
      autorun: false,
      connection: this.connect(`gateway:${name}:manual`),
      prefix: this.keys.queue(homeQueueOf(name)).bullPrefix,
    });
    this.workers.push(worker);
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((worker) => worker.close()));
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    await Promise.all(this.connections.splice(0).map((redis) => redis.quit().catch(() => undefined)));
  }

  private connect(name: string): Redis {
    const redis = connectRedis(this.redisUrl, 'blocking', name);
    this.connections.push(redis);
    return redis;
  }
}
