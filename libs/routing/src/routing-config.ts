import { z } from 'zod';
import { normaliseBackendName, type BackendName } from './backend-name';
import { formatPath, problem, zodProblems } from './config-problems';
import { RoutingConfigError } from './errors';
import { findLiteralSecretPaths, LITERAL_SECRET_MESSAGE } from './literal-secrets';
import { MODEL_SIZES } from './model-size';

const backendNameSchema = z.string().transform((name, ctx): BackendName => {
  const backend = normaliseBackendName(name);
  if (backend) return backend;
  ctx.addIssue({ code: 'custom', message: `unknown backend "${name}"` });
  return z.NEVER;
});

const httpUrlSchema = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http or https URL');

const positiveIntSchema = z.number().int().positive();

const localBackendSchema = z.strictObject({ queue: z.string().min(1) });

const remoteBackendSchema = z.strictObject({
  baseUrl: httpUrlSchema,
  endpointId: z.string().min(1),
  // Upper case only, so a key pasted here by mistake (RunPod's start with `rpa_`) is refused.
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable holding the key (like RUNPOD_API_KEY), not the key itself'),
  timeoutMs: positiveIntSchema,
  maxConcurrency: positiveIntSchema,
});

const clientBackendSchema = z.strictObject({ enabled: z.boolean(), maxModelBytes: positiveIntSchema });

/** Accepts the seed's `modal` as the key of the remote backend. */
function renameModalToRemote(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('modal' in value) || 'remote' in value) return value;
  const { modal, ...rest } = value as Record<string, unknown>;
  return { ...rest, remote: modal };
}

const endpointBackendsSchema = z.preprocess(
  renameModalToRemote,
  z.strictObject({ local: localBackendSchema.optional(), remote: remoteBackendSchema.optional(), client: clientBackendSchema.optional() }),
);

const routingModelSchema = z.strictObject({
  id: z.string().min(1),
  endpoint: z.string().min(1),
  size: z.enum(MODEL_SIZES),
  preferred: backendNameSchema,
  fallbacks: z.array(backendNameSchema).default([]),
  /** The size of the model's files; needed to decide whether a browser may run it. */
  modelBytes: positiveIntSchema.optional(),
});

const localLimitsSchema = z.strictObject({
  /** The largest model size the local hardware may take (the seed's MAX_VPS_INFERENCE_SIZE). */
  maxLocalSize: z.enum(MODEL_SIZES),
  /** Local is refused when the estimated wait reaches this. */
  maxEstimatedWaitMs: positiveIntSchema,
});

const routingConfigSchema = z.strictObject({
  endpoints: z.record(z.string().min(1), endpointBackendsSchema),
  models: z.array(routingModelSchema),
  local: localLimitsSchema,
});

export type LocalBackendConfig = z.infer<typeof localBackendSchema>;
export type RemoteBackendConfig = z.infer<typeof remoteBackendSchema>;
export type ClientBackendConfig = z.infer<typeof clientBackendSchema>;
export type EndpointBackends = z.infer<typeof endpointBackendsSchema>;
export type RoutingModel = z.infer<typeof routingModelSchema>;
export type LocalLimits = z.infer<typeof localLimitsSchema>;
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

/** The backends a model may use, in the order the router tries them (before any `prefer_backend`). */
export function modelBackends(model: RoutingModel): BackendName[] {
  return [model.preferred, ...model.fallbacks];
}

/**
 * The routing entry of a request to an endpoint: the model it names, else the endpoint's first
 * model, else, for an endpoint configured without models, one implied by its backends (local
 * first, overflowing to remote). `undefined` when the endpoint has no routing configuration.
 */
export function routingModelFor(config: RoutingConfig, endpointId: string, modelId?: string): RoutingModel | undefined {
  const backends = config.endpoints[endpointId];
  if (!backends) return undefined;
  const models = config.models.filter((model) => model.endpoint === endpointId);
  const named = modelId === undefined ? undefined : models.find((model) => model.id === modelId);
  if (named ?? models[0]) return named ?? models[0];
  const order: BackendName[] = (['local', 'remote'] as const).filter((backend) => backends[backend] !== undefined);
  if (order.length === 0) return undefined;
  return { id: endpointId, endpoint: endpointId, size: 'tiny', preferred: order[0], fallbacks: order.slice(1) };
}

/**
 * Validates a routing configuration (parsed JSON from a file or an environment variable) at start-up.
 * The shape is checked first; references between models and endpoints only once the shape is sound.
 * @throws RoutingConfigError listing every problem found, each with its path.
 */
export function parseRoutingConfig(json: unknown): RoutingConfig {
  const secretPaths = findLiteralSecretPaths(json);
  const secretProblems = secretPaths.map((path) => problem(path, LITERAL_SECRET_MESSAGE));
  const parsed = routingConfigSchema.safeParse(json);
  const problems = parsed.success
    ? [...secretProblems, ...referenceProblems(parsed.data)]
    : [...secretProblems, ...zodProblems(parsed.error.issues, new Set(secretPaths.map(formatPath)))];
  if (problems.length) throw new RoutingConfigError(problems);
  return parsed.data!;
}

function referenceProblems(config: RoutingConfig): string[] {
  const problems: string[] = [];
  const seenIds = new Set<string>();
  config.models.forEach((model, index) => {
    const at = (...path: PropertyKey[]) => ['models', index, ...path];
    if (seenIds.has(model.id)) problems.push(problem(at('id'), `duplicate model id "${model.id}"`));
    seenIds.add(model.id);

    const endpoint = config.endpoints[model.endpoint];
    if (!endpoint) problems.push(problem(at('endpoint'), `unknown endpoint "${model.endpoint}"`));

    const listed = new Set<BackendName>();
    const entries: [PropertyKey[], BackendName][] = [
      [at('preferred'), model.preferred],
      ...model.fallbacks.map((backend, i): [PropertyKey[], BackendName] => [at('fallbacks', i), backend]),
    ];
    for (const [path, backend] of entries) {
      if (listed.has(backend)) problems.push(problem(path, `backend "${backend}" is listed more than once`));
      else if (endpoint && !endpoint[backend]) problems.push(problem(path, `backend "${backend}" is not configured for endpoint "${model.endpoint}"`));
      listed.add(backend);
    }
    if (listed.has('client') && model.modelBytes === undefined) problems.push(problem(at('modelBytes'), 'is required when the model may run on the client'));
  });
  return problems;
}
