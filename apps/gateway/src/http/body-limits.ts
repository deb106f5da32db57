import type { FastifyInstance } from 'fastify';
import { RUN_BODY_LIMIT_BYTES, RUNSYNC_BODY_LIMIT_BYTES } from '../jobs/run-request';

/**
 * RunPod's payload limits: 10 MB for /run, 20 MB for /runsync and for the OpenAI embeddings route
 * (which runs synchronously and may carry images as data URIs); small bodies everywhere else.
 */
export function applyBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    if (route.url.endsWith('/runsync') || route.url === '/v1/embeddings') route.bodyLimit = RUNSYNC_BODY_LIMIT_BYTES;
    else if (route.url.endsWith('/run')) route.bodyLimit = RUN_BODY_LIMIT_BYTES;
    else route.bodyLimit ??= 1024 * 1024;
  });
}
