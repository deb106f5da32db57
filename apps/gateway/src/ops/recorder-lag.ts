import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { EndpointRegistry, RedisKeys } from '@switchyard/shared';
import { RECORDER_GROUP } from '../events/event-recorder.service';
import { consumerGroupLagMs } from '../events/event-stream-consumer';
import { REDIS } from '../infra/tokens';

/**
 * How far the recorders, wherever they run, are behind the event streams: read from the streams'
 * consumer group, so a process without the recorder role still reports it.
 */
@Injectable()
export class RecorderLag {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly endpoints: EndpointRegistry,
  ) {}

  /** How long the oldest event not yet recorded, of any queue, has waited, in ms. */
  async ms(): Promise<number> {
    const lags = await Promise.all(
      this.endpoints.contracts().map(({ queue }) => consumerGroupLagMs(this.redis, this.keys.queue(queue).events, RECORDER_GROUP)),
    );
    return Math.max(0, ...lags);
  }
}
