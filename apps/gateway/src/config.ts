import { resolve } from 'node:path';
import { z } from 'zod';
import { blobConfigShape, refineBlobConfig } from '@switchyard/blobs';
import { deploymentConfigShape } from '@switchyard/deployments';
import { imageFetchVariables } from '@switchyard/outbound';
import {
  DEFAULT_SPAI_LIMITS,
  env,
  EXTERNAL_ENDPOINT_ID,
  EXTERNAL_ENDPOINT_ID_RULE,
  jobSecretsKeySchema,
  parseConfig,
  redisConfigSchema,
} from '@switchyard/shared';

/**
 * What a gateway process does: `api` serves the HTTP APIs (and waits on jobs for them), `recorder`
 * writes job events to Postgres and keeps the record (reconciler, retention), `notifier` sends
 * webhooks, `relay` runs the jobs routed to remote backends (see ROUTING_CONFIG). Every role serves
 * /health, /ready and /metrics.
 */
export const GATEWAY_ROLES = ['api', 'recorder', 'notifier', 'relay'] as const;
export type GatewayRole = (typeof GATEWAY_ROLES)[number];

const isGatewayRole = (name: string): name is GatewayRole => (GATEWAY_ROLES as readonly string[]).includes(name);

export const gatewayConfigSchema = redisConfigSchema
  .extend({
    /** The roles of this process, comma-separated; all of them by default (one process runs everything). */
    GATEWAY_ROLES: z
      .string()
      .default(GATEWAY_ROLES.join(','))
      .transform((value, context): GatewayRole[] => {
        const names = [...new Set(value.split(',').map((name) => name.trim()))].filter(Boolean);
        const unknown = names.filter((name) => !isGatewayRole(name));
        if (unknown.length > 0 || names.length === 0) {
          const problem = unknown.length > 0 ? `unknown role ${unknown.map((name) => `"${name}"`).join(', ')}` : 'names no role';
          context.addIssue({ code: 'custom', message: `${problem}; roles are ${GATEWAY_ROLES.join(', ')}` });
          return z.NEVER;
        }
        return names.filter(isGatewayRole);
      }),
    ...blobConfigShape,
    /** Where RunPod and the Hub are for `/v1/deployments`, and the platform's shared model cache. */
    ...deploymentConfigShape,
    /**
     * Signs the gateway's blob links (`?output=url`). Set the same value on every replica; unset, each
     * process signs with a random key of its own and its links work only through it.
     */
    BLOB_URL_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    /** How long a blob link stays valid. */
    BLOB_URL_TTL_MS: env.positiveInt(15 * 60_000),
    /** Seals s3Config secrets for the workers (the same value on gateways and workers); unset, s3Config is refused. */
    JOB_SECRETS_KEY: jobSecretsKeySchema,
    /** Allow s3Config endpoints on loopback and private addresses (an on-prem MinIO, tests). */
    S3CONFIG_ALLOW_PRIVATE: env.boolean(false),
    PORT: env.port(8080),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: env.url(['postgres:', 'postgresql:']).optional(),
    PGLITE_DIR: z.string().default(resolve('.switchyard/pgdata')),
    SWITCHYARD_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Whether the SWITCHYARD_API_KEY key (read_write, default project) is also an admin key. */
    SWITCHYARD_API_KEY_ADMIN: env.boolean(true),
    SWITCHYARD_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, 'must be whsec_ followed by base64')
      .optional(),
    /**
     * The master key that seals secrets at rest (32 bytes, base64). Required when NODE_ENV is
     * production; elsewhere one is generated into SECRET_KEY_FILE. Rotate it by moving the old one
     * to SWITCHYARD_SECRET_KEY_PREVIOUS and running `npm run keys -- rotate-secrets`.
     */
    SWITCHYARD_SECRET_KEY: z.string().optional(),
    SWITCHYARD_SECRET_KEY_PREVIOUS: env.list(),
    SECRET_KEY_FILE: z.string().default(resolve('.switchyard/secret-key')),
    NODE_ENV: z.string().default('development'),
    /** `alias=endpoint,…`: extra endpoint ids (for example RunPod ids clients already use). */
    ENDPOINT_ALIASES: env.keyValues(),
    /**
     * `endpoint=jobs,…`: the endpoints whose jobs external RunPod workers may take over the worker
     * protocol (docs/runpod-workers.md), and how many jobs one such worker may hold at once.
     */
    WORKER_PROTOCOL_ENDPOINTS: env.keyCounts('the jobs a worker may hold'),
    /** `endpoint=workers,…`: at most this many external workers take jobs of the endpoint at once (unlisted: no limit). */
    WORKER_PROTOCOL_MAX_WORKERS: env.keyCounts('the most workers'),
    /**
     * `id,…`: endpoints of the operator's own that only external RunPod workers serve (an existing
     * worker image each), with RunPod's free-form input and output; each must be opened in
     * WORKER_PROTOCOL_ENDPOINTS.
     */
    EXTERNAL_ENDPOINTS: env
      .list()
      .refine((ids) => ids.every((id) => EXTERNAL_ENDPOINT_ID.test(id)), { message: `each id must be ${EXTERNAL_ENDPOINT_ID_RULE}` }),
    /** How long an external worker's job stays its own without a ping naming it; then the job goes back to its queue. */
    WORKER_PROTOCOL_LOCK_MS: env.positiveInt(30_000),
    /** How long a take waits for a job before it answers 204 (a short long poll). */
    WORKER_PROTOCOL_TAKE_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
    /** Allow webhooks to loopback and private addresses (on-prem receivers, tests). */
    WEBHOOK_ALLOW_PRIVATE: env.boolean(false),
    WEBHOOK_TIMEOUT_MS: env.positiveInt(10_000),
    /** Scales the Standard Webhooks retry schedule; tests shrink it, production keeps 1. */
    WEBHOOK_RETRY_SCALE: z.coerce.number().positive().max(1).default(1),
    RATE_LIMITS_ENABLED: env.boolean(true),
    /**
     * Key look-ups in the database (keys not in the cache: unknown ones, mostly) one client address
     * may cause per 10 s, before any look-up; past it, 429 (0: no limit).
     */
    KEY_LOOKUPS_PER_IP: z.coerce.number().int().min(0).default(100),
    /**
     * Which proxies' X-Forwarded-For to believe for the client address: `false` (none, the default),
     * `true` (any), a hop count, or a comma-separated list of addresses and CIDR ranges.
     */
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((value): boolean | number | string[] => {
        if (value === 'false' || value === '') return false;
        if (value === 'true') return true;
        if (/^\d+$/.test(value)) return Number(value);
        return value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
      }),
    /** Serve the OpenAPI UI at /docs, open to everyone (it describes the API, and holds no data). */
    DOCS_ENABLED: env.boolean(true),
    /** Multiplies RunPod's default per-key limits, for installs that need more (or benchmarks). */
    RATE_LIMIT_MULTIPLIER: z.coerce.number().positive().default(1),
    /** How often the retention sweep runs: one BullMQ job scheduler that every replica shares. */
    RETENTION_SWEEP_INTERVAL_MS: env.positiveInt(600_000),
    /** Rows one DELETE removes at most, so that no statement holds locks for long. */
    RETENTION_BATCH_SIZE: env.positiveInt(1000),
    /** Batches per table in one sweep; what is left waits for the next sweep. */
    RETENTION_MAX_BATCHES_PER_SWEEP: env.positiveInt(100),
    /** How long a job, its events, webhook deliveries and attempts stay past its `expires_at`. */
    RETENTION_GRACE_MS: z.coerce.number().int().min(0).default(0),
    /** Webhook attempts older than this go even while their job stays; unset: they go with the job. */
    RETENTION_WEBHOOK_ATTEMPTS_MS: z.coerce.number().int().positive().optional(),
    /** The recorder's name in the event streams' consumer group: stable per process (a StatefulSet's pod name), unique among recorders. */
    RECORDER_CONSUMER: z
      .string()
      .min(1)
      .default(`gateway-${process.env.HOSTNAME ?? 'local'}`),
    /** /ready answers 503 once the oldest event not yet recorded is older than this (0: never). */
    RECORDER_READY_MAX_LAG_MS: z.coerce.number().int().min(0).default(120_000),
    /** Waiting jobs an endpoint's queue may hold before new ones are refused with 429 (0: no limit). */
    MAX_QUEUED_JOBS_PER_ENDPOINT: z.coerce.number().int().min(0).default(10_000),
    /** A job still queued this long after it was accepted, with no queue entry, is failed as lost (its gateway died before enqueueing it). */
    RECONCILE_ENQUEUE_GRACE_MS: env.positiveInt(60_000),
    /** POST /v1/analyze: the largest image accepted, uploaded, sent as base64 or fetched (its base64 must fit the spai job's 20 MB). */
    ANALYZE_MAX_IMAGE_BYTES: env.positiveInt(DEFAULT_SPAI_LIMITS.maxImageBytes).pipe(z.number().max(DEFAULT_SPAI_LIMITS.maxImageBytes)),
    /** Width × height allowed, read from the header before any pixel is decoded. */
    ANALYZE_MAX_IMAGE_PIXELS: env.positiveInt(64_000_000),
    /** Stored verdicts whose perceptual hash is within this many of 64 bits are near duplicates (the seed's 10). */
    ANALYZE_NEAR_DUPLICATE_DISTANCE: z.coerce.number().int().min(0).max(24).default(10),
    /** Answer a near duplicate's stored verdict instead of running the model. */
    ANALYZE_TRUST_NEAR_DUPLICATES: env.boolean(false),
    /** How long an analysis waits for its spai job. */
    ANALYZE_WAIT_MS: z.coerce.number().int().min(1000).max(300_000).default(120_000),
    ...imageFetchVariables('ANALYZE'),
    /** The backends of each endpoint and model (docs/routing.md), as JSON; ROUTING_CONFIG_FILE names a file holding it instead. */
    ROUTING_CONFIG: z.string().optional(),
    ROUTING_CONFIG_FILE: z.string().optional(),
    /** How often the router samples its local queues' load and its remote lanes. */
    ROUTING_SAMPLE_MS: env.positiveInt(500),
    /** How often each remote backend's /health is probed. */
    REMOTE_HEALTH_INTERVAL_MS: env.positiveInt(10_000),
    /** Consecutive failures (429s and 5xx included) that open a remote's circuit, and how long it stays open. */
    REMOTE_CIRCUIT_FAILURES: env.positiveInt(5),
    REMOTE_CIRCUIT_COOL_DOWN_MS: env.positiveInt(30_000),
    /** A remote that answers none of a job's polls for this long has lost the job: it fails over to local (or fails). */
    REMOTE_LOST_AFTER_MS: env.positiveInt(15_000),
    /** Remote backends may be on private addresses (another Switchyard on the same network). */
    REMOTE_ALLOW_PRIVATE: env.boolean(false),
    /** How often the ready deployments (`/v1/deployments`) are read again, each a remote backend of its endpoint for its project. */
    DEPLOYMENT_BACKENDS_REFRESH_MS: env.positiveInt(5_000),
    /** An endpoint with ready deployments overflows to them once its local queue's estimated wait reaches this. */
    DEPLOYMENT_OVERFLOW_WAIT_MS: env.positiveInt(5_000),
    /** The text detector's model registry, as the detector worker reads it (JSON of model id → entry, or a file of it), and its default model. */
    TEXT_DETECTOR_MODELS: z.string().optional(),
    TEXT_DETECTOR_MODELS_FILE: z.string().optional(),
    TEXT_DETECTOR_DEFAULT_MODEL: z.string().optional(),
    /** Without ROUTING_CONFIG: whether /text-detector/predict may hand a model to the browser, and the largest model files it may. */
    TEXT_DETECTOR_CLIENT: env.boolean(true),
    TEXT_DETECTOR_CLIENT_MAX_BYTES: env.positiveInt(150 * 1024 * 1024),
    /** Without ROUTING_CONFIG: the local queue is refused (and the next backend tried) once its estimated wait reaches this. */
    TEXT_DETECTOR_MAX_LOCAL_WAIT_MS: env.positiveInt(10_000),
    /** How long /text-detector/predict waits for its job. */
    TEXT_DETECTOR_WAIT_MS: z.coerce.number().int().min(1000).max(300_000).default(60_000),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine(refineBlobConfig);

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export function loadGatewayConfig(environment: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return parseConfig('gateway', gatewayConfigSchema, environment);
}
