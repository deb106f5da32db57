import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '@switchyard/db';
import { AdminOnly, Public, type MaybeAuthenticatedRequest } from '../auth/auth.guard';
import type { GatewayConfig } from '../config';
import { JobQueue } from '../infra/job-queue';
import { CONFIG, DATABASE, REDIS } from '../infra/tokens';
import { GatewayMetrics } from './gateway-metrics';
import { RecorderLag } from './recorder-lag';

const QUEUE_STATES = ['wait', 'prioritized', 'delayed', 'active', 'failed', 'completed'] as const;

@ApiTags('Operations')
@Controller()
export class OperationsController {
  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(DATABASE) private readonly database: Database,
    private readonly queue: JobQueue,
    private readonly metrics: GatewayMetrics,
    private readonly recorderLag: RecorderLag,
  ) {}

  @ApiOperation({ summary: 'Liveness: the process answers' })
  @Public()
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @ApiOperation({ summary: 'Readiness: Redis and the database answer, and job events are being recorded; the details only for admin keys' })
  @Public({ optionalKey: true })
  @Get('ready')
  async ready(@Req() request: MaybeAuthenticatedRequest, @Res() reply: FastifyReply) {
    const check = async (probe: () => Promise<unknown>) =>
      probe().then(
        () => 'ok',
        (error: Error) => `unavailable: ${error.message}`,
      );
    const maxLagMs = this.config.RECORDER_READY_MAX_LAG_MS;
    const recorderCheck = async () => {
      const lagMs = await this.recorderLag.ms();
      if (maxLagMs > 0 && lagMs > maxLagMs) throw new Error(`the oldest unrecorded event is ${Math.round(lagMs / 1000)} s old`);
    };
    const [redis, database, recorder] = await Promise.all([check(() => this.redis.ping()), check(() => this.database.ping()), check(recorderCheck)]);
    const ready = redis === 'ok' && database === 'ok' && recorder === 'ok';
    const status = ready ? 'ready' : 'not_ready';
    // Driver errors name hosts and users: only admins see them.
    reply.status(ready ? 200 : 503).send(request.principal?.admin ? { status, redis, database, recorder } : { status });
  }

  @ApiExcludeEndpoint()
  @AdminOnly()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  async scrape() {
    for (const queue of this.queue.names()) {
      const counts = await this.queue.counts(queue, QUEUE_STATES);
      for (const state of QUEUE_STATES) this.metrics.queueDepth.set({ queue, state }, counts[state]);
    }
    this.metrics.recorderLag.set((await this.recorderLag.ms()) / 1000);
    return this.metrics.registry.metrics();
  }
}
