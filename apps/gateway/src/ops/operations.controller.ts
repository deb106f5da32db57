import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '@switchyard/db';
import { Public } from '../auth/auth.guard';
import { QueueRegistry } from '../infra/queue-registry';
import { DATABASE, REDIS } from '../infra/tokens';
import { GatewayMetrics } from './gateway-metrics';

const QUEUE_STATES = ['wait', 'prioritized', 'delayed', 'active', 'failed', 'completed'] as const;

@ApiTags('Operations')
@Public()
@Controller()
export class OperationsController {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(DATABASE) private readonly database: Database,
    private readonly queues: QueueRegistry,
    private readonly metrics: GatewayMetrics,
  ) {}

  @ApiOperation({ summary: 'Liveness: the process answers' })
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @ApiOperation({ summary: 'Readiness: Redis and the database answer' })
  @Get('ready')
  async ready(@Res() reply: FastifyReply) {
    const check = async (probe: () => Promise<unknown>) =>
      probe().then(
        () => 'ok',
        (error: Error) => `unavailable: ${error.message}`,
      );
    const [redis, database] = await Promise.all([check(() => this.redis.ping()), check(() => this.database.ping())]);
    const ready = redis === 'ok' && database === 'ok';
    reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', redis, database });
  }

  @ApiExcludeEndpoint()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  async scrape() {
    for (const queue of this.queues.all()) {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.metrics.queueDepth.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
    return this.metrics.registry.metrics();
  }
}
