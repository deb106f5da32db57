import { Queue } from 'bullmq';
import type { EndpointRegistry, JobEnvelope, QueueContract, RedisKeys } from '@switchyard/shared';
import { connectRedis } from '@switchyard/shared';

/** One BullMQ producer per queue the gateway serves, sharing one connection. */
export class QueueRegistry {
  private readonly queues = new Map<string, Queue<JobEnvelope>>();
  private readonly connection;

  constructor(redisUrl: string, keys: RedisKeys, endpoints: EndpointRegistry) {
    this.connection = connectRedis(redisUrl, 'blocking', 'gateway:queues');
    for (const contract of endpoints.contracts()) {
      this.queues.set(contract.queue, new Queue<JobEnvelope>(contract.queue, { connection: this.connection, prefix: keys.queue(contract.queue).bullPrefix }));
    }
  }

  get(contract: QueueContract): Queue<JobEnvelope> {
    const queue = this.queues.get(contract.queue);
    if (!queue) throw new Error(`No queue for ${contract.queue}`);
    return queue;
  }

  /** The producer of a queue by its name, when the gateway serves it. */
  named(queue: string): Queue<JobEnvelope> | undefined {
    return this.queues.get(queue);
  }

  all(): Queue<JobEnvelope>[] {
    return [...this.queues.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
    await this.connection.quit().catch(() => undefined);
  }
}
