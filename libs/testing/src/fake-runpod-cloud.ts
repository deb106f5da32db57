import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_FAKE_GPU_CATALOG, type FakeCatalogGpu } from './fake-runpod-catalog';
import { type FakeQueueAnswer, FakeServerlessQueue, readFakeQueueRequest, sendFakeQueueAnswer } from './fake-serverless-queue';
import { OpenApiSchemaValidator } from './openapi-schema-validator';

/** RunPod's REST v2 spec, vendored beside the sources so that a clean clone validates against it. */
const SPEC_PATH = resolve(__dirname, '../spec/runpod-rest-v2.openapi.json');
const REST_ROOTS: ReadonlySet<string> = new Set(['serverless', 'templates', 'catalog']);
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ENDPOINT_ID_LENGTH = 8;
const TEMPLATE_ID_LENGTH = 10;
const DEFAULT_DATA_CENTER_IDS = ['US-KS-2', 'EU-RO-1'];
const DEFAULT_CONTAINER_DISK_GB = 20;
const RATE_LIMIT_PER_MINUTE = 1000;
const DEFAULT_CAPACITY_STATUS = 400;

export interface FakeRunPodCloudOptions {
  /** User API keys the cloud accepts as `Bearer <key>`; any other gets a 401 problem. */
  apiKeys: string[];
  /** Default DEFAULT_FAKE_GPU_CATALOG. */
  gpus?: readonly FakeCatalogGpu[];
  /** Called once an endpoint exists, before its create is answered (to start workers for it, say). */
  onEndpointCreated?: (endpoint: FakeCloudEndpoint) => void | Promise<void>;
}

/** A template as the REST API returns it (`Template`). */
export interface FakeCloudTemplate {
  id: string;
  name: string;
  image: string;
  args: string;
  disk: number;
  env: Record<string, string>;
  ports: string[];
  registry: string | null;
  mounts: Record<string, unknown>;
  serverless: boolean;
  public: boolean;
  category: string;
  startSsh: boolean;
  startJupyter: boolean;
  allowedCudaVersions: string[];
}

/** A request the cloud received, REST and job API alike. */
export interface FakeCloudRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The JSON body parsed, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  authorization?: string;
  receivedAt: number;
  /** Set when an injected fault answered (or held) the request. */
  fault?: 'http' | 'delay' | 'hang' | 'capacity';
}

export interface FakeCapacityFault {
  /** A create whose `gpu.pools` are all among these fails. Default: every create. */
  pools?: string[];
  /** Default 400: RunPod reports no stock as a 400 with only its detail to tell. */
  status?: number;
  detail?: string;
  /** Default: until cleared. */
  times?: number;
}

export interface FakeHttpFault {
  status: number;
  /** Sent as Retry-After, and as the reset of an exhausted RateLimit window on a 429. */
  retryAfterSeconds?: number;
  /** Requests whose path matches. Default: all. */
  paths?: RegExp;
  /** Default: until cleared. */
  times?: number;
}

interface ActiveFault {
  paths?: RegExp;
  remaining: number;
  action: { kind: 'http'; status: number; retryAfterSeconds?: number } | { kind: 'delay'; ms: number } | { kind: 'hang' };
}

interface RestAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Container settings as bodies and resources carry them (`ContainerConfig`); env is handled apart, since it merges. */
interface ContainerSettings {
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  registry?: string | null;
}

function containerDefaults(): { args: string; disk: number; env: Record<string, string>; ports: string[]; registry: string | null } {
  return { args: '', disk: DEFAULT_CONTAINER_DISK_GB, env: {}, ports: [], registry: null };
}

function containerSettingsOf(source: ContainerSettings): ContainerSettings {
  const { image, args, disk, ports, registry } = source;
  return Object.fromEntries(Object.entries({ image, args, disk, ports, registry }).filter(([, value]) => value !== undefined));
}

/** A `CreateTemplateRequest` that passed the spec's schema. */
interface CreateTemplateBody extends ContainerSettings {
  name: string;
  image: string;
  env?: Record<string, string>;
  mounts?: Record<string, unknown>;
  serverless?: boolean;
  public?: boolean;
  category?: string;
  startSsh?: boolean;
  startJupyter?: boolean;
  allowedCudaVersions?: string[];
}

interface WorkersBody {
  min?: number;
  max?: number;
  idleTimeout?: number;
}

/** A `CreateEndpointRequest` that passed the spec's schema. */
interface CreateEndpointBody extends ContainerSettings {
  name: string;
  type: string;
  scaling: { type: string };
  env?: Record<string, string>;
  templateId?: string;
  gpu?: { pools: string[]; excludedTypes?: string[]; count?: number; allowedCudaVersions?: string[]; minCudaVersion?: string };
  cpu?: unknown;
  workers?: WorkersBody;
  flashboot?: string;
  timeout?: number;
  dataCenterIds?: string[];
  networkVolumes?: string[];
}

type EndpointResource = Record<string, unknown> & {
  id: string;
  name: string;
  type: string;
  env: Record<string, string>;
  gpu: { pools: string[]; excludedTypes?: string[]; count: number; allowedCudaVersions: string[]; minCudaVersion: string | null };
  workers: { min: number; max: number; idleTimeout?: number };
  scaling: { type: string };
};

/** An endpoint of the fake cloud: its REST resource, what created it, and its job queue. */
export class FakeCloudEndpoint {
  deleted = false;

  constructor(
    /** The cloud's origin, which the workers' URLs point to. */
    private readonly origin: string,
    /** The endpoint as `GET /v2/serverless/{id}` answers it; PATCH changes it. */
    readonly resource: EndpointResource,
    /** The template it was created from, if any (deleted with it). */
    readonly template: FakeCloudTemplate | undefined,
    readonly createBody: Record<string, unknown>,
    readonly queue: FakeServerlessQueue,
  ) {}

  get id(): string {
    return this.resource.id;
  }

  get name(): string {
    return this.resource.name;
  }

  /**
   * The environment RunPod gives this endpoint's worker containers: the endpoint's env (which holds
   * its template's, merged under the body's at create; a PATCH of env replaces both) and RunPod's worker variables.
   */
  workerEnvironment(workerId: string): Record<string, string> {
    return { ...this.resource.env, ...this.queue.workerEnvironment(this.origin, workerId) };
  }
}

function randomId(length: number): string {
  return Array.from({ length }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An RFC 9457 problem document, as RunPod's REST API sends its errors (`ErrorResponse`). */
function problem(status: number, detail: string, extra: { errors?: string[]; headers?: Record<string, string> } = {}): RestAnswer {
  const body = { title: STATUS_CODES[status] ?? 'Error', status, detail, ...(extra.errors && { errors: extra.errors }) };
  return { status, body, headers: { 'Content-Type': 'application/problem+json', ...extra.headers } };
}

const ok = (status: number, body?: unknown): RestAnswer => ({ status, body });

function sendRest(response: ServerResponse, answer: RestAnswer): void {
  const headers = { ...(answer.body !== undefined && { 'Content-Type': 'application/json' }), ...answer.headers };
  response.writeHead(answer.status, headers);
  response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listOf(text: string | undefined): string[] {
  return text ? text.split(',').map((entry) => entry.trim()) : [];
}

/**
 * A local stand-in for RunPod's cloud on one HTTP server: the REST v2 management API
 * (`/v2/serverless…`, `/v2/templates…`, `/v2/catalog/gpus`), with bodies checked against RunPod's
 * OpenAPI spec, and for each endpoint created its job API and worker protocol under
 * `/v2/{endpointId}/…`, served by a FakeServerlessQueue. Tests can inject capacity failures,
 * HTTP faults, delays and hangs, and read every request.
 */
export class FakeRunPodCloud {
  readonly requests: FakeCloudRequest[] = [];
  private readonly templatesById = new Map<string, FakeCloudTemplate>();
  private readonly endpointsById = new Map<string, FakeCloudEndpoint>();
  private readonly sockets = new Set<Socket>();
  private capacityFaults: (FakeCapacityFault & { remaining: number })[] = [];
  private faults: ActiveFault[] = [];
  private rateWindow = { startedAt: 0, used: 0 };

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly apiKeys: ReadonlySet<string>,
    private readonly gpus: readonly FakeCatalogGpu[],
    private readonly validator: OpenApiSchemaValidator,
    private readonly onEndpointCreated: FakeRunPodCloudOptions['onEndpointCreated'],
  ) {}

  static async start(options: FakeRunPodCloudOptions): Promise<FakeRunPodCloud> {
    const validator = new OpenApiSchemaValidator(JSON.parse(readFileSync(SPEC_PATH, 'utf8')));
    const server = createServer();
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolveListen());
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cloud = new FakeRunPodCloud(server, url, new Set(options.apiKeys), options.gpus ?? DEFAULT_FAKE_GPU_CATALOG, validator, options.onEndpointCreated);
    server.on('connection', (socket) => {
      cloud.sockets.add(socket);
      socket.on('close', () => cloud.sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      cloud.dispatch(request, response).catch((error: unknown) => {
        if (response.headersSent) response.destroy();
        else sendRest(response, problem(500, `FakeRunPodCloud failed: ${error instanceof Error ? error.message : String(error)}`));
      });
    });
    return cloud;
  }

  /** The REST API's base URL, what a RunPodRestClient takes as `baseUrl`. */
  get restBaseUrl(): string {
    return `${this.url}/v2`;
  }

  /** Every endpoint created, deleted ones included (see `deleted`). */
  endpoints(): FakeCloudEndpoint[] {
    return [...this.endpointsById.values()];
  }

  /** The templates that exist now. */
  templates(): FakeCloudTemplate[] {
    return [...this.templatesById.values()];
  }

  /** Makes endpoint creates fail as RunPod does when it has no stock (see FakeCapacityFault). */
  failCreateEndpoint(fault: FakeCapacityFault = {}): void {
    this.capacityFaults.push({ ...fault, remaining: fault.times ?? Infinity });
  }

  /** Answers matching requests with a problem of that status instead of serving them. Faults apply in the order added. */
  injectFault(fault: FakeHttpFault): void {
    const { status, retryAfterSeconds, paths, times } = fault;
    this.faults.push({ paths, remaining: times ?? Infinity, action: { kind: 'http', status, retryAfterSeconds } });
  }

  /** Serves matching requests only after `ms`, until cleared. */
  delay(ms: number, paths?: RegExp): void {
    this.faults.push({ paths, remaining: Infinity, action: { kind: 'delay', ms } });
  }

  /** Never answers matching requests (the connection stays open until the client gives up or the cloud closes), until cleared. */
  hang(paths?: RegExp): void {
    this.faults.push({ paths, remaining: Infinity, action: { kind: 'hang' } });
  }

  clearFaults(): void {
    this.faults = [];
    this.capacityFaults = [];
  }

  async close(): Promise<void> {
    for (const endpoint of this.endpointsById.values()) endpoint.queue.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [version, root] = segments;
    const jobApiEndpoint = version === 'v2' && root !== undefined && !REST_ROOTS.has(root) ? root : undefined;
    const subpath = segments.slice(2).join('/');
    const queueRequest = jobApiEndpoint === undefined ? undefined : await readFakeQueueRequest(request, subpath, response);
    const text = queueRequest ? queueRequest.body : await readText(request);
    const record: FakeCloudRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parseBody(text),
      authorization: request.headers.authorization,
      receivedAt: Date.now(),
    };
    this.requests.push(record);

    const fault = this.takeFault(url.pathname);
    if (fault) {
      record.fault = fault.kind;
      if (fault.kind === 'hang') return;
      if (fault.kind === 'http') return sendRest(response, this.faultAnswer(fault.status, fault.retryAfterSeconds));
      await new Promise((resolveDelay) => setTimeout(resolveDelay, fault.ms));
    }

    if (queueRequest) {
      const endpoint = this.endpointsById.get(jobApiEndpoint!);
      const answer: FakeQueueAnswer | undefined = endpoint && !endpoint.deleted ? await endpoint.queue.handle(queueRequest) : undefined;
      return sendFakeQueueAnswer(response, answer ?? { status: 404, body: { error: `No such endpoint or path: ${url.pathname}` } });
    }
    const apiKey = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    if (apiKey === undefined || !this.apiKeys.has(apiKey)) {
      return sendRest(response, problem(401, apiKey === undefined ? 'missing bearer token' : 'invalid bearer token'));
    }
    const answer = version === 'v2' ? await this.answerRest(record, segments.slice(1), url.searchParams, text) : undefined;
    const served = answer ?? problem(404, `no route for ${record.method} ${url.pathname}`);
    sendRest(response, { ...served, headers: { ...this.rateLimitHeaders(), ...served.headers } });
  }

  private async answerRest(record: FakeCloudRequest, segments: string[], query: URLSearchParams, text: string): Promise<RestAnswer | undefined> {
    const { method } = record;
    const body = isRecord(record.body) ? record.body : {};
    const [root, id, child, ...rest] = segments;
    if (rest.length > 0) return undefined;
    const allowed = (methods: string[], answer: () => RestAnswer | Promise<RestAnswer>) => {
      if (!methods.includes(method)) return problem(405, 'The requested method is not allowed for this path.', { headers: { Allow: methods.join(', ') } });
      if ((method === 'POST' || method === 'PATCH') && !isRecord(record.body)) {
        return problem(400, text === '' ? 'request body is required' : 'request body is not a JSON object');
      }
      return answer();
    };

    if (root === 'catalog' && id === 'gpus' && child === undefined) return allowed(['GET'], () => this.listGpuTypes(query));
    if (root === 'templates' && child === undefined) {
      if (id === undefined) return allowed(['GET', 'POST'], () => (method === 'GET' ? ok(200, { templates: this.templates() }) : this.createTemplate(body)));
      return allowed(['GET', 'PATCH', 'DELETE'], () => this.answerTemplate(method, id, body));
    }
    if (root === 'serverless') {
      if (id === undefined) {
        return allowed(['GET', 'POST'], () =>
          method === 'GET' ? ok(200, { endpoints: this.liveEndpoints().map((endpoint) => endpoint.resource) }) : this.createEndpoint(record, body),
        );
      }
      const endpoint = this.endpointsById.get(id);
      const live = endpoint && !endpoint.deleted ? endpoint : undefined;
      if (child === 'workers') return allowed(['GET'], () => (live ? ok(200, this.workersOf(live)) : this.endpointNotFound(id)));
      if (child !== undefined) return undefined;
      return allowed(['GET', 'PATCH', 'DELETE'], () => {
        if (!live) return this.endpointNotFound(id);
        if (method === 'GET') return ok(200, live.resource);
        if (method === 'DELETE') return this.deleteEndpoint(live);
        return this.updateEndpoint(live, body);
      });
    }
    return undefined;
  }

  private liveEndpoints(): FakeCloudEndpoint[] {
    return this.endpoints().filter((endpoint) => !endpoint.deleted);
  }

  private endpointNotFound(id: string): RestAnswer {
    return problem(404, `endpoint ${id} not found`);
  }

  /** 422 with the spec's violations, as RunPod answers a body that breaks the contract; undefined when it holds. */
  private contractViolations(schemaName: string, body: unknown): RestAnswer | undefined {
    const errors = this.validator.validate(`#/components/schemas/${schemaName}`, body);
    return errors.length === 0 ? undefined : problem(422, 'Request validation failed.', { errors });
  }

  private listGpuTypes(query: URLSearchParams): RestAnswer {
    const includes = listOf(query.get('include') ?? undefined);
    const products = listOf(query.get('product') ?? undefined);
    const violations = [
      ...includes.filter((include) => include !== 'AVAILABILITY').map((include) => `$.include: must be "AVAILABILITY", got "${include}"`),
      ...products
        .filter((product) => !['POD', 'CLUSTER', 'SERVERLESS'].includes(product))
        .map((product) => `$.product: must be one of POD, CLUSTER, SERVERLESS, got "${product}"`),
    ];
    if (violations.length > 0) return problem(422, 'Request validation failed.', { errors: violations });
    const withAvailability = includes.includes('AVAILABILITY');
    if (withAvailability !== products.length > 0) return problem(400, 'product is required with include=AVAILABILITY, and valid only with it');
    const gpus = this.gpus.map((gpu) => {
      const type = {
        id: gpu.id,
        name: gpu.name,
        pool: gpu.pool,
        manufacturer: 'NVIDIA',
        memory: gpu.memoryGb,
        secure: true,
        community: gpu.price.community > 0,
        price: gpu.price,
        maxCount: { secure: 8, community: 4 },
      };
      if (!withAvailability) return type;
      const dataCenters = (gpu.dataCenterIds ?? DEFAULT_DATA_CENTER_IDS).map((id) => ({ id, name: id, availability: gpu.stock }));
      return { ...type, availability: gpu.stock, ...(gpu.stock !== 'NONE' && { dataCenters }) };
    });
    return ok(200, { gpus });
  }

  private createTemplate(body: Record<string, unknown>): RestAnswer {
    const violations = this.contractViolations('CreateTemplateRequest', body);
    if (violations) return violations;
    const template: FakeCloudTemplate = {
      ...containerDefaults(),
      mounts: {},
      serverless: false,
      public: false,
      category: 'NVIDIA',
      startSsh: true,
      startJupyter: true,
      allowedCudaVersions: [],
      ...(body as unknown as CreateTemplateBody),
      id: randomId(TEMPLATE_ID_LENGTH),
    };
    this.templatesById.set(template.id, template);
    return ok(201, template);
  }

  private answerTemplate(method: string, id: string, body: Record<string, unknown>): RestAnswer {
    const template = this.templatesById.get(id);
    if (!template) return problem(404, `template ${id} not found`);
    if (method === 'GET') return ok(200, template);
    if (method === 'DELETE') {
      const boundTo = this.liveEndpoints().find((endpoint) => endpoint.template?.id === id);
      if (boundTo) return problem(400, `template ${id} is bound to serverless endpoint ${boundTo.id} and cannot be deleted`);
      this.templatesById.delete(id);
      return ok(204);
    }
    const violations = this.contractViolations('UpdateTemplateRequest', body);
    if (violations) return violations;
    Object.assign(template, body);
    return ok(200, template);
  }

  private async createEndpoint(record: FakeCloudRequest, body: Record<string, unknown>): Promise<RestAnswer> {
    const violations = this.contractViolations('CreateEndpointRequest', body);
    if (violations) return violations;
    const spec = body as unknown as CreateEndpointBody;
    if (spec.cpu !== undefined) return problem(400, 'FakeRunPodCloud simulates GPU endpoints only: send gpu, not cpu');
    if (spec.gpu === undefined) return problem(400, 'exactly one of gpu or cpu is required');
    const { gpu, workers = {}, scaling } = spec;
    const refusal = this.gpuSelectionRefusal(gpu) ?? this.workersRefusal(spec.type, scaling, workers);
    if (refusal) return refusal;
    const template = spec.templateId === undefined ? undefined : this.templatesById.get(spec.templateId);
    if (spec.templateId !== undefined && !template) return problem(404, `template ${spec.templateId} not found`);
    if (template && !template.serverless) return problem(422, `template ${template.id} is not a serverless template`);
    const capacity = this.takeCapacityFault(gpu.pools);
    if (capacity) {
      record.fault = 'capacity';
      return capacity;
    }

    const id = randomId(ENDPOINT_ID_LENGTH);
    const resource: EndpointResource = {
      id,
      name: spec.name,
      type: spec.type,
      requestUrls: this.requestUrlsOf(id, spec.type),
      // Body fields override the template's, except env, which merges per key (spec: CreateEndpointRequest.templateId).
      ...containerDefaults(),
      ...containerSettingsOf(template ?? {}),
      ...containerSettingsOf(spec),
      env: { ...template?.env, ...spec.env },
      gpu: {
        pools: gpu.pools,
        ...(gpu.excludedTypes && { excludedTypes: gpu.excludedTypes }),
        count: gpu.count ?? 1,
        // The template's CUDA set seeds the endpoint's, unless the body sets one or a floor.
        allowedCudaVersions: gpu.allowedCudaVersions ?? (gpu.minCudaVersion ? [] : (template?.allowedCudaVersions ?? [])),
        minCudaVersion: gpu.minCudaVersion ?? null,
      },
      workers: {
        min: workers.min ?? 0,
        max: workers.max ?? 3,
        ...(!scalesOnRequestCount(spec.type, scaling) && { idleTimeout: workers.idleTimeout ?? 10 }),
      },
      scaling,
      dataCenterIds: spec.dataCenterIds ?? [],
      networkVolumes: spec.networkVolumes ?? [],
      timeout: spec.timeout ?? 300_000,
      flashboot: spec.flashboot ?? 'OFF',
      createdAt: new Date().toISOString(),
    };
    const queue = new FakeServerlessQueue({ endpointId: id, userKeys: [...this.apiKeys], workerKey: `worker-${randomUUID()}` });
    const endpoint = new FakeCloudEndpoint(this.url, resource, template, body, queue);
    this.endpointsById.set(id, endpoint);
    await this.onEndpointCreated?.(endpoint);
    return ok(201, resource);
  }

  private updateEndpoint(endpoint: FakeCloudEndpoint, body: Record<string, unknown>): RestAnswer {
    const violations = this.contractViolations('UpdateEndpointRequest', body);
    if (violations) return violations;
    const { resource } = endpoint;
    const { gpu, workers, templateId, env, ...settings } = body as {
      gpu?: Partial<EndpointResource['gpu']>;
      workers?: Partial<EndpointResource['workers']>;
      templateId?: string;
      env?: Record<string, string>;
      scaling?: EndpointResource['scaling'];
    };
    const workersAfter = { ...resource.workers, ...workers };
    const refusal =
      (gpu?.pools === undefined ? undefined : this.gpuSelectionRefusal({ ...resource.gpu, ...gpu, pools: gpu.pools })) ??
      this.workersRefusal(resource.type, settings.scaling ?? resource.scaling, { ...workersAfter, idleTimeout: workers?.idleTimeout });
    if (refusal) return refusal;
    const template = templateId === undefined ? undefined : this.templatesById.get(templateId);
    if (templateId !== undefined && !template) return problem(404, `template ${templateId} not found`);
    if (template && !template.serverless) return problem(422, `template ${template.id} is not a serverless template`);

    if (template) Object.assign(resource, containerSettingsOf(template));
    Object.assign(resource, settings, { workers: workersAfter });
    // The template's env merges under the body's, and either replaces the endpoint's (PATCH semantics).
    if (template || env) resource.env = { ...template?.env, ...env };
    if (gpu !== undefined) {
      const { pools, excludedTypes, minCudaVersion, ...constraints } = gpu;
      // Pools and exclusions are one selection: sending pools replaces both.
      const selection = pools === undefined ? {} : { pools, excludedTypes };
      resource.gpu = { ...resource.gpu, ...selection, ...constraints };
      if (minCudaVersion !== undefined) resource.gpu.minCudaVersion = minCudaVersion === '' ? null : minCudaVersion;
      if (resource.gpu.excludedTypes === undefined) delete resource.gpu.excludedTypes;
    }
    if (scalesOnRequestCount(resource.type, resource.scaling)) delete resource.workers.idleTimeout;
    return ok(200, resource);
  }

  private deleteEndpoint(endpoint: FakeCloudEndpoint): RestAnswer {
    endpoint.deleted = true;
    endpoint.queue.close();
    if (endpoint.template) this.templatesById.delete(endpoint.template.id);
    return ok(204);
  }

  /** `ListEndpointWorkersResponse` from the workers the endpoint's queue has heard from. */
  private workersOf(endpoint: FakeCloudEndpoint): unknown {
    const { idle, running, initializing = 0 } = endpoint.queue.workers() as { idle: number; running: number; initializing?: number };
    const gpuTypeId = this.gpus.find((gpu) => gpu.pool !== null && endpoint.resource.gpu.pools.includes(gpu.pool))?.id ?? null;
    const byStatus: [string, number][] = [
      ['RUNNING', running],
      ['IDLE', idle],
      ['INITIALIZING', initializing],
    ];
    const workers = byStatus.flatMap(([status, count]) =>
      Array.from({ length: count }, (_, index) => ({
        id: `${endpoint.id}-${status.toLowerCase()}-${index + 1}`,
        status,
        isStale: false,
        version: 1,
        gpuCount: endpoint.resource.gpu.count,
        image: endpoint.resource.image ?? null,
        uptimeSeconds: status === 'INITIALIZING' ? null : 0,
        gpuTypeId: status === 'INITIALIZING' ? null : gpuTypeId,
        dataCenterId: null,
        startedAt: null,
      })),
    );
    return { endpointVersion: 1, summary: { running, idle, initializing, throttled: 0, unhealthy: 0, total: workers.length }, workers };
  }

  /** The cross-field rules RunPod checks after the schema: known pools, exclusions inside them, one kind of CUDA constraint. */
  private gpuSelectionRefusal(gpu: {
    pools: string[];
    excludedTypes?: string[];
    allowedCudaVersions?: string[];
    minCudaVersion?: string | null;
  }): RestAnswer | undefined {
    const knownPools = new Set(this.gpus.map((entry) => entry.pool));
    const unknown = gpu.pools.find((pool) => !knownPools.has(pool));
    if (unknown !== undefined) return problem(400, `gpu.pools: unknown serverless GPU pool "${unknown}"`);
    for (const excluded of gpu.excludedTypes ?? []) {
      const type = this.gpus.find((entry) => entry.id === excluded.trim());
      if (!type || !gpu.pools.includes(type.pool ?? '')) return problem(400, `gpu.excludedTypes: "${excluded}" is not a GPU type in the selected pools`);
    }
    if (gpu.allowedCudaVersions?.length && gpu.minCudaVersion) return problem(400, 'gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive');
    return undefined;
  }

  /** `workers` as they would be after the call, but `idleTimeout` only when the call sets it. */
  private workersRefusal(type: unknown, scaling: unknown, workers: WorkersBody): RestAnswer | undefined {
    if (workers.min !== undefined && workers.max !== undefined && workers.min > workers.max) return problem(400, 'workers.min must not exceed workers.max');
    if (workers.idleTimeout !== undefined && scalesOnRequestCount(type, scaling)) {
      return problem(400, 'workers.idleTimeout does not apply to a queue-based endpoint scaling on requestCount');
    }
    return undefined;
  }

  private takeCapacityFault(pools: readonly string[]): RestAnswer | undefined {
    const fault = this.capacityFaults.find((entry) => entry.remaining > 0 && (!entry.pools || pools.every((pool) => entry.pools!.includes(pool))));
    if (!fault) return undefined;
    fault.remaining -= 1;
    const detail = fault.detail ?? `Insufficient capacity: there are no instances currently available in GPU pool(s) ${pools.join(', ')}`;
    return problem(fault.status ?? DEFAULT_CAPACITY_STATUS, detail);
  }

  private requestUrlsOf(id: string, type: string): Record<string, string> {
    const base = `${this.url}/v2/${id}`;
    if (type === 'LOAD_BALANCER') return { base, health: `${base}/ping` };
    return {
      run: `${base}/run`,
      runSync: `${base}/runsync`,
      status: `${base}/status/{job_id}`,
      stream: `${base}/stream/{job_id}`,
      cancel: `${base}/cancel/{job_id}`,
      retry: `${base}/retry/{job_id}`,
      purgeQueue: `${base}/purge-queue`,
      health: `${base}/health`,
    };
  }

  private takeFault(path: string): ActiveFault['action'] | undefined {
    const fault = this.faults.find((entry) => entry.remaining > 0 && (!entry.paths || entry.paths.test(path)));
    if (!fault) return undefined;
    fault.remaining -= 1;
    return fault.action;
  }

  private faultAnswer(status: number, retryAfterSeconds: number | undefined): RestAnswer {
    const headers: Record<string, string> = { ...this.rateLimitHeaders() };
    if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
    if (status === 429) headers.RateLimit = `"minute";r=0;t=${retryAfterSeconds ?? this.secondsToWindowReset()}`;
    const detail = status === 429 ? 'rate limit exceeded for the minute window' : `injected fault: HTTP ${status}`;
    return problem(status, detail, { headers });
  }

  /** `RateLimit` / `RateLimit-Policy` in the spec's structured form, counting requests per minute. */
  private rateLimitHeaders(): Record<string, string> {
    const now = Date.now();
    if (now - this.rateWindow.startedAt >= 60_000) this.rateWindow = { startedAt: now, used: 0 };
    this.rateWindow.used += 1;
    const remaining = Math.max(0, RATE_LIMIT_PER_MINUTE - this.rateWindow.used);
    return {
      RateLimit: `"minute";r=${remaining};t=${this.secondsToWindowReset()}`,
      'RateLimit-Policy': `"minute";q=${RATE_LIMIT_PER_MINUTE};w=60`,
    };
  }

  private secondsToWindowReset(): number {
    return Math.max(0, Math.ceil((this.rateWindow.startedAt + 60_000 - Date.now()) / 1000));
  }
}

function scalesOnRequestCount(type: unknown, scaling: unknown): boolean {
  return type === 'QUEUE' && isRecord(scaling) && scaling.type === 'REQUEST_COUNT';
}
