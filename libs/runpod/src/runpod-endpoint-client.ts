import {
  AddressPolicy,
  type HostResolver,
  OutboundError,
  parseRetryAfter,
  RequestTimeoutError,
  ResponseTooLargeError,
  safeRequest,
  type SafeResponse,
  UnexpectedContentTypeError,
  UnsafeUrlError,
  UpstreamConnectionError,
} from '@switchyard/outbound';
import type { z } from 'zod';
import { RemoteDestinationRefusedError, RemoteHttpError, RemoteProtocolError, RemoteRedirectError, RemoteUnreachableError, type RunPodCall } from './errors';
import {
  cancelAnswerSchema,
  type CancelAnswer,
  describeSchemaProblems,
  healthAnswerSchema,
  type HealthAnswer,
  runAnswerSchema,
  type RunAnswer,
  type RunPodJobPolicy,
  statusAnswerSchema,
  type StatusAnswer,
  streamAnswerSchema,
  type StreamAnswer,
} from './runpod-answers';

export interface RunPodEndpointClientOptions {
  /**
   * Where the API lives, e.g. `https://api.runpod.ai` or another Switchyard's origin; requests go to
   * `{baseUrl}/v2/{endpointId}/…` (a baseUrl that already ends in `/v2` is not given a second one).
   */
  baseUrl: string;
  endpointId: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never in an error message. */
  apiKey: string;
  /** Limit of each call, from DNS to the last byte. Default DEFAULT_REMOTE_CALL_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Limit of each answer. Default DEFAULT_REMOTE_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  /** Which destinations may be reached. Default public addresses only. */
  addressPolicy?: AddressPolicy;
  /** Default: the system resolver. */
  lookup?: HostResolver;
}

/** Per-call overrides. */
export interface RemoteCallOptions {
  timeoutMs?: number;
}

export const DEFAULT_REMOTE_CALL_TIMEOUT_MS = 10_000;
/** RunPod's `/runsync` payloads go up to 20 MB; an output may be as large, plus the JSON around it. */
export const DEFAULT_REMOTE_MAX_RESPONSE_BYTES = 24 * 1024 * 1024;
/** How long RunPod's /runsync waits when not told. */
const DEFAULT_RUNSYNC_WAIT_MS = 90_000;
const BODY_EXCERPT_CHARS = 300;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

function apiBaseOf(baseUrl: string, endpointId: string): URL {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = `${/\/v2$/.test(path) ? path : `${path}/v2`}/${encodeURIComponent(endpointId)}/`;
  url.search = '';
  url.hash = '';
  return url;
}

/** The origin and path of a redirect's target, without its query string (which may carry tokens). */
function describeLocation(location: string | undefined, from: URL): string | undefined {
  if (!location) return undefined;
  try {
    const url = new URL(location, from);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(an invalid location)';
  }
}

/**
 * The one seam to a RunPod-compatible endpoint (RunPod serverless, or another Switchyard): the job
 * API calls, each through the SSRF-safe outbound client with a timeout, a size limit and no
 * redirects, and each answer validated. Errors are typed (see errors.ts) and never carry the key.
 */
export class RunPodEndpointClient {
  /** The remote as errors and logs name it: origin and endpoint id. */
  readonly remote: string;
  readonly endpointId: string;
  private readonly apiBase: URL;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly addressPolicy: AddressPolicy;
  private readonly lookup: HostResolver | undefined;

  constructor(options: RunPodEndpointClientOptions) {
    if (!options.apiKey) throw new RangeError('RunPodEndpointClient needs an API key');
    this.endpointId = options.endpointId;
    this.apiBase = apiBaseOf(options.baseUrl, options.endpointId);
    this.remote = `${this.apiBase.origin} endpoint ${options.endpointId}`;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REMOTE_CALL_TIMEOUT_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_REMOTE_MAX_RESPONSE_BYTES;
    this.addressPolicy = options.addressPolicy ?? AddressPolicy.PUBLIC_ONLY;
    this.lookup = options.lookup;
  }

  /** `POST /run`: queues a job; answers its remote id. */
  run(input: unknown, policy?: RunPodJobPolicy, options?: RemoteCallOptions): Promise<RunAnswer> {
    const body = policy === undefined ? { input } : { input, policy };
    return this.call('run', 'POST', 'run', runAnswerSchema, options, body);
  }

  /**
   * `POST /runsync?wait=MS`: submits and waits up to `waitMs` (RunPod takes 1000–300000, default
   * 90000) for the result; a job not done by then answers its id and IN_QUEUE or IN_PROGRESS, to be
   * followed with `status`. The call's own limit defaults to the wait plus the client's timeout.
   */
  runsync(input: unknown, options: { waitMs?: number; timeoutMs?: number } = {}): Promise<StatusAnswer> {
    const path = options.waitMs === undefined ? 'runsync' : `runsync?wait=${options.waitMs}`;
    const timeoutMs = options.timeoutMs ?? (options.waitMs ?? DEFAULT_RUNSYNC_WAIT_MS) + this.timeoutMs;
    return this.call('runsync', 'POST', path, statusAnswerSchema, { timeoutMs }, { input });
  }

  /** `GET /status/{id}`: the status, with `output` (the latest progress while IN_PROGRESS, the result when COMPLETED) and `error`. */
  status(remoteJobId: string, options?: RemoteCallOptions): Promise<StatusAnswer> {
    return this.call('status', 'GET', `status/${encodeURIComponent(remoteJobId)}`, statusAnswerSchema, options);
  }

  /** `GET /stream/{id}`: the stream chunks produced since the last call (the remote forgets them) and the status. */
  stream(remoteJobId: string, options?: RemoteCallOptions): Promise<StreamAnswer> {
    return this.call('stream', 'GET', `stream/${encodeURIComponent(remoteJobId)}`, streamAnswerSchema, options);
  }

  /** `POST /cancel/{id}`. */
  cancel(remoteJobId: string, options?: RemoteCallOptions): Promise<CancelAnswer> {
    return this.call('cancel', 'POST', `cancel/${encodeURIComponent(remoteJobId)}`, cancelAnswerSchema, options);
  }

  /** `GET /health`: job counts and workers. */
  health(options?: RemoteCallOptions): Promise<HealthAnswer> {
    return this.call('health', 'GET', 'health', healthAnswerSchema, options);
  }

  private async call<S extends z.ZodType>(
    call: RunPodCall,
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    options: RemoteCallOptions | undefined,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const url = new URL(path, this.apiBase);
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: SafeResponse;
    try {
      response = await safeRequest(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: options?.timeoutMs ?? this.timeoutMs,
        maxResponseBytes: this.maxResponseBytes,
        redirects: 0,
        acceptContentTypes: ['application/json'],
        addressPolicy: this.addressPolicy,
        lookup: this.lookup,
      });
    } catch (error) {
      throw this.asCallError(call, error);
    }
    this.checkStatus(call, url, response);
    let json: unknown;
    try {
      json = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new RemoteProtocolError(call, this.remote, `the body is not JSON (${this.excerpt(response.body) || 'empty'})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new RemoteProtocolError(call, this.remote, `unexpected shape: ${describeSchemaProblems(parsed.error)}`);
    return parsed.data;
  }

  private checkStatus(call: RunPodCall, url: URL, response: SafeResponse): void {
    const { status, headers } = response;
    if (status >= 200 && status < 300) return;
    if (REDIRECT_STATUSES.has(status)) throw new RemoteRedirectError(call, this.remote, status, describeLocation(headers.location, url));
    throw new RemoteHttpError(call, this.remote, status, parseRetryAfter(headers['retry-after']), this.excerpt(response.body));
  }

  private asCallError(call: RunPodCall, error: unknown): Error {
    if (!(error instanceof OutboundError)) return error instanceof Error ? error : new Error(String(error));
    const detail = this.redact(error.message);
    if (error instanceof UnsafeUrlError) return new RemoteDestinationRefusedError(call, this.remote, detail, { cause: error });
    if (error instanceof RequestTimeoutError)
      return new RemoteUnreachableError(call, this.remote, true, `no answer within ${error.timeoutMs} ms`, { cause: error });
    if (error instanceof UpstreamConnectionError) return new RemoteUnreachableError(call, this.remote, false, detail, { cause: error });
    if (error instanceof ResponseTooLargeError) {
      return new RemoteProtocolError(call, this.remote, `the answer exceeds the limit of ${error.maxResponseBytes} bytes`, { cause: error });
    }
    if (error instanceof UnexpectedContentTypeError) {
      return new RemoteProtocolError(call, this.remote, `content-type ${error.contentType ? `"${error.contentType}"` : '(none)'}, expected JSON`, {
        cause: error,
      });
    }
    return new RemoteProtocolError(call, this.remote, detail, { cause: error });
  }

  private excerpt(body: Buffer): string {
    const text = body.toString('utf8', 0, Math.min(body.length, BODY_EXCERPT_CHARS * 4)).slice(0, BODY_EXCERPT_CHARS);
    return this.redact(text.replace(/\s+/g, ' ').trim());
  }

  /** Removes the API key from text that came from elsewhere, should a remote echo it. */
  private redact(text: string): string {
    return text.split(this.apiKey).join('[redacted]');
  }
}
