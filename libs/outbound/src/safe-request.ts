import { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LookupFunction } from 'node:net';
import { SecureContextOptions } from 'node:tls';
import { untilAborted } from '@switchyard/shared';
import { AddressPolicy } from './address-policy';
import { checkUrl, Destination, HostResolver, resolveDestination, ResolvedAddress, systemResolver } from './destination';
import {
  OutboundError,
  RequestTimeoutError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  UnexpectedContentTypeError,
  UnsafeUrlError,
  UpstreamConnectionError,
} from './errors';

export interface SafeRequestOptions {
  /** Default GET. */
  method?: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  /** Limit for the whole exchange: DNS, connection, every redirect and the full body. Default 10 s. */
  timeoutMs?: number;
  /** Default 10 MiB. */
  maxResponseBytes?: number;
  /** What to do with a body over `maxResponseBytes`: fail (default) or keep its first bytes and stop reading. */
  overflow?: 'error' | 'truncate';
  /**
   * Redirects to follow, each hop checked like the first. 0 (default) returns a 3xx as it is.
   * Across origins the Authorization, Cookie and Proxy-Authorization headers and the body are dropped.
   */
  redirects?: number;
  /**
   * Content types accepted for a 2xx response: `image/png` matches that type exactly, `image/` any
   * image type. Other statuses are returned whatever their content type.
   */
  acceptContentTypes?: readonly string[];
  /** Default AddressPolicy.PUBLIC_ONLY. */
  addressPolicy?: AddressPolicy;
  /** Default: the system resolver (getaddrinfo). */
  lookup?: HostResolver;
  /** Certificate authorities to trust instead of Node's bundled ones (an on-premises CA, a test certificate). */
  ca?: SecureContextOptions['ca'];
}

export interface SafeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** True when `overflow: 'truncate'` cut the body at `maxResponseBytes`. */
  truncated: boolean;
  /** The URL that answered, after redirects. */
  url: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/** What is sent to each hop; the URL lives in the hop's Destination. */
interface Hop {
  method: string;
  headers: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
}

type Settings = Required<Pick<SafeRequestOptions, 'timeoutMs' | 'maxResponseBytes' | 'overflow' | 'redirects' | 'addressPolicy' | 'lookup'>> &
  Pick<SafeRequestOptions, 'acceptContentTypes' | 'ca'>;

/**
 * An HTTP request to a URL that someone else chose. The host is resolved once, every address is
 * checked against the policy, and the connection is pinned to the checked addresses, so a DNS
 * answer that changes between check and connect (rebinding) cannot move the request elsewhere.
 * TLS still verifies the certificate against the host name of the URL.
 */
export async function safeRequest(url: string | URL, options: SafeRequestOptions = {}): Promise<SafeResponse> {
  const settings: Settings = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    overflow: options.overflow ?? 'error',
    redirects: options.redirects ?? 0,
    addressPolicy: options.addressPolicy ?? AddressPolicy.PUBLIC_ONLY,
    lookup: options.lookup ?? systemResolver,
    acceptContentTypes: options.acceptContentTypes,
    ca: options.ca,
  };
  for (const name of ['timeoutMs', 'maxResponseBytes', 'redirects'] as const) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] < 0) {
      throw new RangeError(`${name} must be a whole number ≥ 0, got ${settings[name]}`);
    }
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), settings.timeoutMs);
  try {
    let destination = checkUrl(url, settings.addressPolicy);
    let hop: Hop = {
      method: (options.method ?? 'GET').toUpperCase(),
      headers: lowerCaseNames(options.headers ?? {}),
      body: options.body,
    };
    for (let redirectsFollowed = 0; ; redirectsFollowed++) {
      const { target } = destination;
      const addresses = await untilAborted(
        resolveDestination(destination, settings.addressPolicy, settings.lookup),
        timeout.signal,
        () => new RequestTimeoutError(target, settings.timeoutMs),
      );
      const response = await openResponse(destination, addresses, hop, settings, timeout.signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (settings.redirects === 0 || !REDIRECT_STATUSES.has(status) || !location) {
        return await readResponse(destination, response, settings, timeout.signal);
      }
      response.destroy();
      if (redirectsFollowed === settings.redirects) throw new TooManyRedirectsError(target, settings.redirects);
      const next = checkUrl(resolveLocation(location, destination), settings.addressPolicy);
      hop = redirectedHop(hop, status, destination.url, next.url);
      destination = next;
    }
  } finally {
    clearTimeout(timer);
  }
}

function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function withoutHeaders(headers: Readonly<Record<string, string>>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

function resolveLocation(location: string, from: Destination): URL {
  try {
    return new URL(location, from.url);
  } catch {
    throw new UnsafeUrlError('invalid-url', from.target, 'it redirected to an invalid location');
  }
}

/** The request for the next hop, following the Fetch standard's rules for method changes. */
function redirectedHop(previous: Hop, status: number, from: URL, to: URL): Hop {
  const becomesGet = (status === 303 && previous.method !== 'HEAD') || ((status === 301 || status === 302) && previous.method === 'POST');
  const crossOrigin = to.origin !== from.origin;
  let headers = previous.headers;
  let body = previous.body;
  if (becomesGet || crossOrigin) {
    headers = withoutHeaders(headers, BODY_HEADERS);
    body = undefined;
  }
  if (crossOrigin) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
  return { method: becomesGet ? 'GET' : previous.method, headers, body };
}

/** A `lookup` for http.request that answers with the already checked addresses and never asks DNS again. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all)
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
    else callback(null, addresses[0].address, addresses[0].family);
  };
}

function asOutboundError(error: unknown, target: string): OutboundError {
  if (error instanceof OutboundError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new UpstreamConnectionError(target, detail, { cause: error });
}

/** Sends one hop and resolves once the response head has arrived. */
function openResponse(
  destination: Destination,
  addresses: readonly ResolvedAddress[],
  hop: Hop,
  settings: Settings,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const headers: OutgoingHttpHeaders = { ...hop.headers };
  if (hop.body !== undefined) headers['content-length'] = Buffer.byteLength(hop.body);
  const { url } = destination;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise((resolve, reject) => {
    const request = send({
      protocol: url.protocol,
      hostname: destination.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: hop.method,
      headers,
      lookup: pinnedLookup(addresses),
      // No shared agent: a pooled socket could have been connected under another policy.
      agent: false,
      ca: settings.ca,
    });
    const onAbort = () => request.destroy(new RequestTimeoutError(destination.target, settings.timeoutMs));
    request.on('response', (response) => {
      signal.removeEventListener('abort', onAbort);
      resolve(response);
    });
    request.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(asOutboundError(error, destination.target));
    });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    request.end(hop.body);
  });
}

function matchesContentType(contentType: string | undefined, accepted: readonly string[]): boolean {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (!mediaType) return false;
  return accepted.some((entry) => {
    const wanted = entry.toLowerCase();
    return wanted.endsWith('/') ? mediaType.startsWith(wanted) : mediaType === wanted;
  });
}

async function readResponse(destination: Destination, response: IncomingMessage, settings: Settings, signal: AbortSignal): Promise<SafeResponse> {
  const { target } = destination;
  const status = response.statusCode ?? 0;
  const onAbort = () => response.destroy(new RequestTimeoutError(target, settings.timeoutMs));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const accepted = settings.acceptContentTypes;
    if (accepted && status >= 200 && status < 300 && !matchesContentType(response.headers['content-type'], accepted)) {
      throw new UnexpectedContentTypeError(target, response.headers['content-type'], accepted);
    }
    const limit = settings.maxResponseBytes;
    if (settings.overflow === 'error' && Number(response.headers['content-length']) > limit) {
      throw new ResponseTooLargeError(target, limit);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (size + chunk.length > limit) {
        if (settings.overflow === 'error') throw new ResponseTooLargeError(target, limit);
        chunks.push(chunk.subarray(0, limit - size));
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return { status, headers: response.headers, body: Buffer.concat(chunks), truncated, url: destination.url.href };
  } catch (error) {
    throw asOutboundError(error, target);
  } finally {
    signal.removeEventListener('abort', onAbort);
    response.destroy();
  }
}
