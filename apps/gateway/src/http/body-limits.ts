import type { FastifyInstance } from 'fastify';
import { RUN_BODY_LIMIT_BYTES, RUNSYNC_BODY_LIMIT_BYTES } from '../jobs/run-request';

/**
 * RunPod's payload limits: 10 MB for /run, 20 MB for /runsync and for the synchronous routes that
 * may carry an image as base64 (OpenAI embeddings, analyze); 10 MB for the text detector's batches
 * (100 texts of 10,000 characters, up to 4 bytes each in UTF-8); small bodies everywhere else. Multipart
 * uploads are limited by the multipart parser (see registerMultipart).
 */
const SYNCHRONOUS_IMAGE_ROUTES = new Set(['/v1/embeddings', '/v1/analyze']);
/** An external worker's outputs and chunks: as large as a runsync answer; past BLOB_THRESHOLD_BYTES the state store holds them as blobs. */
const WORKER_RESULT_ROUTE = /^\/v2\/workers\/[^/]+\/job-(done|stream)\//;

/**
 * runpod-python posts its JSON text as `application/x-www-form-urlencoded`: on the worker protocol
 * such a body is read as the text it is (the protocol parses it), not as a form.
 */
export function acceptWorkerFormBodies(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/v2/workers/') && request.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
      request.headers['content-type'] = 'text/plain';
  });
}

export function applyBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    if (route.url.endsWith('/runsync') || SYNCHRONOUS_IMAGE_ROUTES.has(route.url) || WORKER_RESULT_ROUTE.test(route.url))
      route.bodyLimit = RUNSYNC_BODY_LIMIT_BYTES;
    else if (route.url.endsWith('/run') || route.url === '/text-detector/batch-predict') route.bodyLimit = RUN_BODY_LIMIT_BYTES;
    else route.bodyLimit ??= 1024 * 1024;
  });
}
