import { AddressPolicy } from './address-policy';
import { OutboundError, UnsafeUrlError } from './errors';
import { headerValue, IncomingHeaders } from './headers';
import { parseHttpDate } from './http-date';
import { safeRequest } from './safe-request';
import { signWebhook, WebhookSecrets } from './webhook-signature';

/**
 * - `delivered`: the receiver answered 2xx.
 * - `retry`: try again later (any other status, including 3xx since redirects are never followed,
 *   or no answer at all).
 * - `disable`: the receiver answered 410 Gone: stop sending to this URL.
 * - `refused`: the URL is not an allowed destination, so nothing was sent; retrying cannot help.
 */
export type DeliveryOutcome = 'delivered' | 'retry' | 'disable' | 'refused';

export interface DeliveryClassification {
  outcome: Exclude<DeliveryOutcome, 'refused'>;
  /** The receiver's `retry-after`, capped, when it sent a usable one with a `retry` answer. */
  retryAfterMs?: number;
}

export interface ClassifyDeliveryOptions {
  /** Cap on an honoured `retry-after`. Default 1 hour. */
  maxRetryAfterMs?: number;
  /** Current time in milliseconds, for `retry-after` dates; default Date.now(). */
  now?: number;
}

export interface WebhookDelivery {
  url: string;
  /** The JSON text to send, signed as is. */
  body: string;
  secrets: WebhookSecrets;
  /** The message id, the same for every attempt. */
  id: string;
  /** Unix seconds of this attempt; default now. */
  timestamp?: number;
  /** Default 15 s. */
  timeoutMs?: number;
  addressPolicy?: AddressPolicy;
  userAgent?: string;
  /** Cap on an honoured `retry-after`. Default 1 hour. */
  maxRetryAfterMs?: number;
}

export interface WebhookDeliveryResult {
  outcome: DeliveryOutcome;
  statusCode?: number;
  /** Why no answer came (timeout, connection, refused URL). Never holds secrets. */
  error?: string;
  durationMs: number;
  retryAfterMs?: number;
  /** The first bytes of the receiver's answer, for the delivery record. */
  responseExcerpt?: string;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 60 * 60 * 1000;
const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000;
const RESPONSE_EXCERPT_BYTES = 1024;
const DEFAULT_USER_AGENT = 'Switchyard-Webhooks/1';

/**
 * Milliseconds to wait according to a `retry-after` value: delay-seconds or an HTTP-date
 * (a date in the past gives 0). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = parseHttpDate(text, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}

export function classifyDeliveryResponse(status: number, headers: IncomingHeaders, options: ClassifyDeliveryOptions = {}): DeliveryClassification {
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (status === 410) return { outcome: 'disable' };
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), options.now);
  if (retryAfterMs === undefined) return { outcome: 'retry' };
  const cap = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  return { outcome: 'retry', retryAfterMs: Math.min(retryAfterMs, cap) };
}

/** One delivery attempt: signs the body (Standard Webhooks) and POSTs it, never following redirects. */
export async function deliverWebhook(delivery: WebhookDelivery): Promise<WebhookDeliveryResult> {
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  const signatureHeaders = signWebhook({
    id: delivery.id,
    timestamp: delivery.timestamp ?? Math.floor(Date.now() / 1000),
    body: delivery.body,
    secrets: delivery.secrets,
  });
  try {
    const response = await safeRequest(delivery.url, {
      method: 'POST',
      headers: {
        ...signatureHeaders,
        'content-type': 'application/json',
        'user-agent': delivery.userAgent ?? DEFAULT_USER_AGENT,
      },
      body: delivery.body,
      timeoutMs: delivery.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
      redirects: 0,
      maxResponseBytes: RESPONSE_EXCERPT_BYTES,
      overflow: 'truncate',
      addressPolicy: delivery.addressPolicy,
    });
    const classification = classifyDeliveryResponse(response.status, response.headers, {
      maxRetryAfterMs: delivery.maxRetryAfterMs,
    });
    return {
      ...classification,
      statusCode: response.status,
      durationMs: elapsedMs(),
      responseExcerpt: response.body.toString('utf8'),
    };
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    const outcome = error instanceof UnsafeUrlError ? 'refused' : 'retry';
    return { outcome, error: error.message, durationMs: elapsedMs() };
  }
}
