import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyMultipart from '@fastify/multipart';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { NestJsonLogger, QUEUES, type Logger } from '@switchyard/shared';
import { AppModule } from './app.module';
import { AuthGuard } from './auth/auth.guard';
import type { GatewayConfig } from './config';
import { ApiExceptionFilter, writeApiErrorBody } from './http/api-exception.filter';
import { MULTIPART_LIMITS } from './analyze/analyze-request';
import { writeOpenAiErrorBody } from './openai/openai-errors';
import { writeSeedErrorBody } from './text-detector/seed-errors';
import { acceptWorkerFormBodies, applyBodyLimits } from './http/body-limits';
import { BullMq } from './infra/bullmq';
import { JobQueue } from './infra/job-queue';
import { LOGGER } from './infra/tokens';
import { GatewayMetrics } from './ops/gateway-metrics';
import { mountQueueDashboard } from './ops/queue-dashboard';
import { writeDeploymentErrorBody } from './deployments/deployment-errors';

/** Builds the gateway application (not yet listening), so tests and `main` start it the same way. */
export async function createGatewayApp(config: GatewayConfig, options: { extraControllers?: Type[] } = {}): Promise<NestFastifyApplication> {
  // Path parameters longer than Fastify's default of 100 characters reach the routes, which answer them (an overlong job id is 404, like any unknown id).
  // X-Forwarded-For is believed only from the proxies configuration names: the client address keys the unknown-key limit.
  const hops = config.TRUST_PROXY;
  const trustProxy = typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops;
  const adapter = new FastifyAdapter({ bodyLimit: 1024 * 1024, trustProxy, routerOptions: { maxParamLength: 16_384, ignoreTrailingSlash: true } });
  const fastify = adapter.getInstance();
  applyBodyLimits(fastify);
  acceptWorkerFormBodies(fastify);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forConfig(config, options.extraControllers), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  const logger = app.get<Logger>(LOGGER);
  app.useLogger(new NestJsonLogger(logger));
  // /v1/ is OpenAI's shape, except for the analyze route, which is Switchyard's own; /text-detector is the seed's FastAPI shape.
  app.useGlobalFilters(
    new ApiExceptionFilter(logger, {
      '/v1/': writeOpenAiErrorBody,
      '/v1/deployments': writeDeploymentErrorBody,
      '/v1/analyze': writeApiErrorBody,
      '/text-detector': writeSeedErrorBody,
    }),
  );
  app.enableShutdownHooks();

  const metrics = app.get(GatewayMetrics);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const servesApi = config.GATEWAY_ROLES.includes('api');
  // Uploads to /v1/analyze: one image of at most ANALYZE_MAX_IMAGE_BYTES and a few short fields.
  if (servesApi) await app.register(fastifyMultipart, { limits: { ...MULTIPART_LIMITS, fileSize: config.ANALYZE_MAX_IMAGE_BYTES }, throwFileSizeLimit: true });
  if (config.DOCS_ENABLED && servesApi) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder().setTitle('Switchyard').setDescription('Self-hosted GPU inference jobs with a RunPod-compatible API').addBearerAuth().build(),
    );
    SwaggerModule.setup('docs', app, document);
  }

  await app.init();
  if (servesApi) await mountDashboard(app);
  return app;
}

/** The BullMQ dashboard of every queue, endpoint queues and the gateway's own. It can clean queues behind the state store's back: admin keys only. */
async function mountDashboard(app: NestFastifyApplication): Promise<void> {
  const guard = app.get(AuthGuard);
  const bullMq = app.get(BullMq);
  const queues = [...app.get(JobQueue).names(), QUEUES.webhooks, QUEUES.maintenance].map((name) => bullMq.queue(name));
  await mountQueueDashboard(app.getHttpAdapter().getInstance(), queues, (authorization, clientAddress) =>
    guard.authenticate(authorization, clientAddress).then(
      (principal) => (principal.admin ? 'allowed' : 'forbidden'),
      () => 'unauthorized' as const,
    ),
  );
}

export async function startGateway(config: GatewayConfig): Promise<INestApplication> {
  const app = await createGatewayApp(config);
  await app.listen(config.PORT, config.HOST);
  app.get<Logger>(LOGGER).info({ port: config.PORT, roles: config.GATEWAY_ROLES, database: config.DATABASE_URL ? 'postgres' : 'pglite' }, 'gateway listening');
  return app;
}
