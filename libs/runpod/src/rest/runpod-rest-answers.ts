import { z } from 'zod';
import type { CatalogGpu, EndpointWorkerSummary, RunPodTemplate, ServerlessEndpoint } from './runpod-rest-types';

// The answers of RunPod's REST v2 API, after its OpenAPI response schemas. Fields the spec requires
// are required here; fields we do not use are dropped, so RunPod may add more without breaking us.

const count = z.number().int().nonnegative();
const stringMap = z.record(z.string(), z.string());
const flashBoot = z.enum(['OFF', 'FLASHBOOT', 'PRIORITY_FLASHBOOT']);
const endpointType = z.enum(['QUEUE', 'LOAD_BALANCER']);
const scaling = z.discriminatedUnion('type', [
  z.object({ type: z.literal('QUEUE_DELAY'), queueDelay: z.number() }),
  z.object({ type: z.literal('REQUEST_COUNT'), requestCount: z.number().int() }),
]);

export const endpointSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  type: endpointType.optional(),
  templateId: z.string().optional(),
  requestUrls: stringMap.optional(),
  image: z.string().optional(),
  env: stringMap.optional(),
  disk: z.number().int().optional(),
  gpu: z
    .object({
      pools: z.array(z.string()),
      excludedTypes: z.array(z.string()).optional(),
      count: z.number().int().optional(),
      allowedCudaVersions: z.array(z.string()),
      minCudaVersion: z.string().nullable(),
    })
    .nullable()
    .optional(),
  workers: z.object({ min: count, max: count, idleTimeout: z.number().int().optional() }),
  scaling,
  dataCenterIds: z.array(z.string()),
  networkVolumes: z.array(z.string()),
  timeout: z.number().int(),
  flashboot: flashBoot,
  createdAt: z.string(),
}) satisfies z.ZodType<ServerlessEndpoint>;

export const endpointListSchema = z.object({ endpoints: z.array(endpointSchema) });

export const templateSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  image: z.string(),
  args: z.string(),
  disk: z.number().int(),
  env: stringMap,
  ports: z.array(z.string()),
  registry: z.string().nullable(),
  serverless: z.boolean(),
  public: z.boolean(),
  category: z.enum(['CPU', 'NVIDIA', 'AMD']).optional(),
  startSsh: z.boolean(),
  startJupyter: z.boolean(),
  allowedCudaVersions: z.array(z.string()),
}) satisfies z.ZodType<RunPodTemplate>;

const workerSchema = z.object({
  id: z.string(),
  status: z.enum(['RUNNING', 'IDLE', 'INITIALIZING', 'THROTTLED', 'UNHEALTHY']),
  isStale: z.boolean(),
  gpuCount: count,
  version: z.number().int().nullable().optional(),
  image: z.string().nullable().optional(),
  uptimeSeconds: count.nullable().optional(),
  gpuTypeId: z.string().nullable().optional(),
  dataCenterId: z.string().nullable().optional(),
  startedAt: z.string().nullable().optional(),
});

export const endpointWorkersSchema = z
  .object({
    workers: z.array(workerSchema),
    summary: z.object({ running: count, idle: count, initializing: count, throttled: count, unhealthy: count, total: count }),
    endpointVersion: z.number().int().nullable().optional(),
  })
  .transform(({ workers, summary, endpointVersion }): EndpointWorkerSummary => ({ ...summary, workers, endpointVersion }));

const availabilityLevel = z.enum(['NONE', 'LOW', 'MEDIUM', 'HIGH']);

const gpuTypeSchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    pool: z.string().nullable(),
    memory: z.number(),
    // USD per hour for one GPU: pods per cloud, `serverless` for the type's pool (absent outside one).
    price: z.object({ secure: z.number(), community: z.number(), serverless: z.number().optional() }),
    availability: availabilityLevel.optional(),
  })
  .transform(({ id, name, pool, memory, price, availability }): CatalogGpu => ({
    id,
    displayName: name,
    pool: pool ?? undefined,
    memoryGb: memory,
    serverlessPricePerHourUsd: price.serverless,
    available: availability === undefined ? undefined : availability !== 'NONE',
    stockStatus: availability,
  }));

export const gpuTypeListSchema = z.object({ gpus: z.array(gpuTypeSchema) }).transform(({ gpus }) => gpus);

/** `ErrorResponse` (RFC 9457) and the legacy `{error}` body, both loosely: any of their fields may be missing. */
export const problemSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  status: z.number().int().optional(),
  errors: z.array(z.string()).optional(),
  error: z.string().optional(),
});
