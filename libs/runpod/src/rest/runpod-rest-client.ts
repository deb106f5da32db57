import {
  AddressPolicy,
  HostResolutionError,
  type HostResolver,
  OutboundError,
  RequestTimeoutError,
  safeRequest,
  type SafeResponse,
  UnsafeUrlError,
  UpstreamConnectionError,
} from '@switchyard/outbound';
import { untilAborted } from '@switchyard/shared';
import type { z } from 'zod';
import { describeSchemaProblems } from '../runpod-answers';
import { abortableDelay, backoffDelayMs } from '../retry-delays';
import {
  RunPodApiError,
  RunPodAuthError,
  RunPodDestinationRefusedError,
  RunPodRateLimitedError,
  type RunPodProblem,
  type RunPodRestOperation,
  RunPodUnavailableError,
  RunPodUnexpectedAnswerError,
} from './errors';
import { rateLimitWaitMs } from './rate-limit-headers';
import { endpointListSchema, endpointSchema, endpointWorkersSchema, gpuTypeListSchema, problemSchema, templateSchema } from './runpod-rest-answers';
import type { CatalogGpu, EndpointPatch, EndpointSpec, EndpointWorkerSummary, RunPodTemplate, ServerlessEndpoint, TemplateSpec } from './runpod-rest-types';

export interface RunPodRestClientOptions {
  /** Sent as `Authorization: Bearer <apiKey>`; never in an error. */
  apiKey: string;
  /** Default DEFAULT_RUNPOD_REST_BASE_URL. */
  baseUrl?: string;
  /** Limit of each attempt, from DNS to the last byte. Default 15 s. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number;
  /** Which destinations may be reached. Default public addresses only. */
  addressPolicy?: AddressPolicy;
  /** Default: the system resolver. */
  lookup?: HostResolver;
  /** Waits between attempts; tests pass one that does not. Default: a timer that the call's signal cancels. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const DEFAULT_RUNPOD_REST_BASE_URL = 'https://api.runpod.io/v2';
export const DEFAULT_RUNPOD_REST_TIMEOUT_MS = 15_000;
export const DEFAULT_RUNPOD_REST_MAX_ATTEMPTS = 4;
const RETRY_BASE_DELAY_MS = 500;
const RETRY_MAX_DELAY_MS = 8_000;
/** A rate-limit wait longer than this is the caller's to schedule, not ours to sit through. */
const MAX_HONOURED_WAIT_MS = 60_000;
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const BODY_EXCERPT_CHARS = 300;
const NEVER_ABORTED = new AbortController().signal;
/** Connection errors that happen before a byte of the request left, so RunPod cannot have acted on it. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * When a failed attempt is tried again:
 * - `idempotent` (GET, PATCH, DELETE): after any 429, 5xx, timeout or connection failure;
 * - `unprocessed-only` (the creates): only when RunPod cannot have acted on it (429, 503, a
 *   connection that never opened). RunPod's REST API takes no idempotency key, so a create retried
 *   after a timeout or a broken answer could make a second endpoint or template, billed and unseen.
 */
type RetryPolicy = 'idempotent' | 'unprocessed-only';

interface RestCall<S extends z.ZodType | undefined> {
  operation: RunPodRestOperation;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** The answer's schema; undefined for calls answered with 204. */
  schema: S;
  /** Answer undefined on 404 instead of failing (a get of something gone, a delete of something already gone). */
  absentOn404?: boolean;
  signal?: AbortSignal;
}

/** One attempt that did not give an answer to return. */
interface FailedAttempt {
  /** The error to throw when this attempt is the last, given how many were made. */
  error: (attempts: number) => Error;
  /** Whether another attempt may succeed (and is allowed by the call's retry policy). */
  retryable: boolean;
  /** The wait RunPod asked for (RateLimit, Retry-After). */
  waitMs?: number;
}

function retryPolicyOf(method: RestCall<z.ZodType | undefined>['method']): RetryPolicy {
  return method === 'POST' ? 'unprocessed-only' : 'idempotent';
}

function wasNeverSent(error: UpstreamConnectionError): boolean {
  if (error instanceof HostResolutionError) return true;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

/**
 * The one seam to RunPod's REST v2 management API (endpoints, templates, the GPU catalogue). Every
 * call goes through the SSRF-safe outbound client (timeout, size limit, no redirects, JSON only),
 * its answer is validated against the spec's shapes, and failures come back typed (rest/errors.ts),
 * after retries where retrying is safe.
 */
export class RunPodRestClient {
  private readonly apiBase: URL;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly addressPolicy: AddressPolicy;
  private readonly lookup: HostResolver | undefined;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(options: RunPodRestClientOptions) {
    if (!options.apiKey) throw new RangeError('RunPodRestClient needs an API key');
    const maxAttempts = options.maxAttempts ?? DEFAULT_RUNPOD_REST_MAX_ATTEMPTS;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a whole number ≥ 1, got ${maxAttempts}`);
    this.apiBase = new URL(options.baseUrl ?? DEFAULT_RUNPOD_REST_BASE_URL);
    this.apiBase.pathname = `${this.apiBase.pathname.replace(/\/+$/, '')}/`;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_RUNPOD_REST_TIMEOUT_MS;
    this.maxAttempts = maxAttempts;
    this.addressPolicy = options.addressPolicy ?? AddressPolicy.PUBLIC_ONLY;
    this.lookup = options.lookup;
    this.sleep = options.sleep ?? abortableDelay;
  }

  /**
   * `GET /catalog/gpus`. With `availability`, asks for serverless stock (`include=AVAILABILITY&product=SERVERLESS`;
   * RunPod refuses the include without a product, since stock differs between pods and serverless).
   */
  listGpuTypes(options: { availability?: boolean; signal?: AbortSignal } = {}): Promise<CatalogGpu[]> {
    const query = options.availability ? { include: 'AVAILABILITY', product: 'SERVERLESS' } : undefined;
    return this.request({ operation: 'listGpuTypes', method: 'GET', path: 'catalog/gpus', query, schema: gpuTypeListSchema, signal: options.signal });
  }

  /** `POST /templates`. */
  createTemplate(spec: TemplateSpec): Promise<RunPodTemplate> {
    return this.request({ operation: 'createTemplate', method: 'POST', path: 'templates', body: spec, schema: templateSchema });
  }

  /** `DELETE /templates/{id}`; a template already gone is no error. RunPod refuses (400) while an endpoint is bound to it. */
  async deleteTemplate(id: string): Promise<void> {
    await this.request({ operation: 'deleteTemplate', method: 'DELETE', path: `templates/${encodeURIComponent(id)}`, schema: undefined, absentOn404: true });
  }

  /** `POST /serverless`. */
  createEndpoint(spec: EndpointSpec): Promise<ServerlessEndpoint> {
    return this.request({ operation: 'createEndpoint', method: 'POST', path: 'serverless', body: spec, schema: endpointSchema });
  }

  /** `GET /serverless`: every endpoint of the key's account. */
  async listEndpoints(): Promise<ServerlessEndpoint[]> {
    const answer = await this.request({ operation: 'listEndpoints', method: 'GET', path: 'serverless', schema: endpointListSchema });
    return answer.endpoints;
  }

  /** `GET /serverless/{id}`; undefined when RunPod knows no such endpoint. */
  getEndpoint(id: string): Promise<ServerlessEndpoint | undefined> {
    return this.request({ operation: 'getEndpoint', method: 'GET', path: this.endpointPath(id), schema: endpointSchema, absentOn404: true });
  }

  /** `PATCH /serverless/{id}`: changes only what the patch gives; answers the whole endpoint. */
  updateEndpoint(id: string, patch: EndpointPatch): Promise<ServerlessEndpoint> {
    return this.request({ operation: 'updateEndpoint', method: 'PATCH', path: this.endpointPath(id), body: patch, schema: endpointSchema });
  }

  /** `DELETE /serverless/{id}`: the endpoint, its workers, its jobs and its bound template. One already gone is no error. */
  async deleteEndpoint(id: string): Promise<void> {
    await this.request({ operation: 'deleteEndpoint', method: 'DELETE', path: this.endpointPath(id), schema: undefined, absentOn404: true });
  }

  /** `GET /serverless/{id}/workers`: the active workers and their counts by status. */
  endpointWorkers(id: string): Promise<EndpointWorkerSummary> {
    return this.request({ operation: 'listEndpointWorkers', method: 'GET', path: `${this.endpointPath(id)}/workers`, schema: endpointWorkersSchema });
  }

  private endpointPath(id: string): string {
    return `serverless/${encodeURIComponent(id)}`;
  }

  private request<S extends z.ZodType>(call: RestCall<S> & { absentOn404: true }): Promise<z.output<S> | undefined>;
  private request<S extends z.ZodType>(call: RestCall<S>): Promise<z.output<S>>;
  private request(call: RestCall<undefined>): Promise<undefined>;
  private async request<S extends z.ZodType | undefined>(call: RestCall<S>): Promise<unknown> {
    const signal = call.signal ?? NEVER_ABORTED;
    const policy = retryPolicyOf(call.method);
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      const outcome = await this.attempt(call, policy, signal);
      if (!('error' in outcome)) return outcome.answer;
      const { error, retryable, waitMs } = outcome;
      const lastAttempt = attempt >= this.maxAttempts;
      if (!retryable || lastAttempt || (waitMs ?? 0) > MAX_HONOURED_WAIT_MS) throw error(attempt);
      await this.sleep(waitMs ?? backoffDelayMs(attempt, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS), signal);
    }
  }

  private async attempt<S extends z.ZodType | undefined>(
    call: RestCall<S>,
    policy: RetryPolicy,
    signal: AbortSignal,
  ): Promise<{ answer: unknown } | FailedAttempt> {
    const url = new URL(call.path, this.apiBase);
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json, application/problem+json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    let response: SafeResponse;
    try {
      const sent = safeRequest(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        timeoutMs: this.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        redirects: 0,
        acceptContentTypes: call.schema ? ['application/json'] : undefined,
        addressPolicy: this.addressPolicy,
        lookup: this.lookup,
      });
      response = await untilAborted(sent, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      return this.transportFailure(call.operation, error, policy);
    }
    const { status } = response;
    if (status === 404 && call.absentOn404) return { answer: undefined };
    if (status >= 200 && status < 300) return { answer: call.schema ? this.parse(call.operation, call.schema, response) : undefined };
    return this.statusFailure(call.operation, response, policy);
  }

  private parse(operation: RunPodRestOperation, schema: z.ZodType, response: SafeResponse): unknown {
    let json: unknown;
    try {
      json = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new RunPodUnexpectedAnswerError(operation, `the body is not JSON (${this.excerpt(response.body) || 'empty'})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new RunPodUnexpectedAnswerError(operation, `unexpected shape: ${this.redact(describeSchemaProblems(parsed.error))}`);
    return parsed.data;
  }

  private statusFailure(operation: RunPodRestOperation, response: SafeResponse, policy: RetryPolicy): FailedAttempt {
    const { status, headers } = response;
    const problem = this.problemOf(response);
    const message = this.wordingOf(problem, status);
    const waitMs = rateLimitWaitMs(headers);
    if (status === 429) return { error: () => new RunPodRateLimitedError(operation, problem, message, waitMs), retryable: true, waitMs };
    if (status >= 500) {
      const error = (attempts: number) => new RunPodUnavailableError(operation, attempts, `HTTP ${status}: ${message}`, status);
      return { error, retryable: policy === 'idempotent' || status === 503, waitMs };
    }
    if (status >= 300 && status < 400) {
      const detail = `redirected (HTTP ${status}); redirects are not followed, configure the final URL`;
      return { error: () => new RunPodUnexpectedAnswerError(operation, detail), retryable: false };
    }
    const ErrorClass = status === 401 || status === 403 ? RunPodAuthError : RunPodApiError;
    return { error: () => new ErrorClass(operation, status, problem, message), retryable: false };
  }

  private transportFailure(operation: RunPodRestOperation, error: unknown, policy: RetryPolicy): FailedAttempt {
    if (!(error instanceof OutboundError)) throw error;
    const detail = this.redact(error.message);
    if (error instanceof UnsafeUrlError) return { error: () => new RunPodDestinationRefusedError(operation, detail, { cause: error }), retryable: false };
    const unavailable = (attempts: number) => new RunPodUnavailableError(operation, attempts, detail, undefined, { cause: error });
    if (error instanceof RequestTimeoutError) return { error: unavailable, retryable: policy === 'idempotent' };
    if (error instanceof UpstreamConnectionError) return { error: unavailable, retryable: policy === 'idempotent' || wasNeverSent(error) };
    // Too large, the wrong content type: asking again will not change what answers.
    return { error: () => new RunPodUnexpectedAnswerError(operation, detail, { cause: error }), retryable: false };
  }

  private problemOf(response: SafeResponse): RunPodProblem {
    let json: unknown;
    try {
      json = JSON.parse(response.body.toString('utf8'));
    } catch {
      const excerpt = this.excerpt(response.body);
      return excerpt ? { detail: excerpt, status: response.status } : { status: response.status };
    }
    const parsed = problemSchema.safeParse(json);
    if (!parsed.success) return { status: response.status };
    const { type, title, detail, status, errors, error } = parsed.data;
    const redacted = (text: string | undefined) => (text === undefined ? undefined : this.redact(text));
    return {
      type,
      title: redacted(title),
      detail: redacted(detail ?? error),
      status: status ?? response.status,
      errors: errors?.map((entry) => this.redact(entry)),
    };
  }

  /** RunPod's own words for the failure: its detail and validation errors, else its title. */
  private wordingOf(problem: RunPodProblem, status: number): string {
    const summary = problem.detail ?? problem.title ?? `HTTP ${status}`;
    return problem.errors?.length ? `${summary} (${problem.errors.join('; ')})` : summary;
  }

  private excerpt(body: Buffer): string {
    const text = body.toString('utf8', 0, Math.min(body.length, BODY_EXCERPT_CHARS * 4)).slice(0, BODY_EXCERPT_CHARS);
    return this.redact(text.replace(/\s+/g, ' ').trim());
  }

  /** Removes the API key from text that came from elsewhere, should RunPod or a proxy echo it. */
  private redact(text: string): string {
    return text.split(this.apiKey).join('[redacted]');
  }
}
