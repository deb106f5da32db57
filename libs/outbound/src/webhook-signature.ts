import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidWebhookSecretError, WebhookVerificationError } from './errors';
import { headerValue, IncomingHeaders } from './headers';

// Standard Webhooks (https://www.standardwebhooks.com), symmetric signatures only.

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const SIGNATURE_VERSION = 'v1';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** One secret, or several while a key is being rotated (each one signs; any one verifies). */
export type WebhookSecrets = string | readonly string[];

export interface WebhookMessage {
  /** Stable across retries of the same message, so that receivers can deduplicate. */
  id: string;
  /** Unix time in seconds of this attempt. */
  timestamp: number;
  /** The exact bytes sent: a receiver verifies the raw body, before any JSON parsing. */
  body: string | Uint8Array;
}

// A type alias rather than an interface, so that it can be passed wherever a header record is expected.
export type WebhookSignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface WebhookVerificationInput {
  headers: IncomingHeaders;
  body: string | Uint8Array;
  secrets: WebhookSecrets;
  /** How far the timestamp may be from now, either way. Default 5 minutes. */
  toleranceSeconds?: number;
  /** Current time in milliseconds; default Date.now(). */
  now?: number;
}

/** `whsec_` followed by the base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

function secretKeys(secrets: WebhookSecrets): Buffer[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new InvalidWebhookSecretError('no secret was given');
  return list.map((secret) => {
    const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    if (!BASE64.test(encoded)) throw new InvalidWebhookSecretError('it is not valid base64');
    const key = Buffer.from(encoded, 'base64');
    if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
      throw new InvalidWebhookSecretError(`it holds ${key.length} bytes`);
    }
    return key;
  });
}

function hmac(key: Buffer, { id, timestamp, body }: WebhookMessage): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The Standard Webhooks headers for a message: one `v1,` signature per secret, space-separated. */
export function signWebhook(message: WebhookMessage & { secrets: WebhookSecrets }): WebhookSignatureHeaders {
  if (!/^[\x21-\x7e]+$/.test(message.id)) {
    throw new TypeError('A webhook id must be non-empty printable ASCII without spaces');
  }
  if (!Number.isSafeInteger(message.timestamp) || message.timestamp < 0) {
    throw new TypeError(`A webhook timestamp must be whole unix seconds, got ${message.timestamp}`);
  }
  const signatures = secretKeys(message.secrets).map((key) => `${SIGNATURE_VERSION},${hmac(key, message).toString('base64')}`);
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

/**
 * Checks a received webhook: the timestamp must be within the tolerance and one `v1` signature
 * must match one of the secrets. Returns the message id and timestamp; throws WebhookVerificationError.
 */
export function verifyWebhook(input: WebhookVerificationInput): { id: string; timestamp: number } {
  const id = headerValue(input.headers, 'webhook-id');
  const timestampText = headerValue(input.headers, 'webhook-timestamp');
  const signatureList = headerValue(input.headers, 'webhook-signature');
  if (!id || !timestampText || !signatureList) {
    const detail = 'webhook-id, webhook-timestamp and webhook-signature are required';
    throw new WebhookVerificationError('missing-headers', detail);
  }
  if (!/^\d+$/.test(timestampText)) {
    throw new WebhookVerificationError('invalid-timestamp', 'webhook-timestamp is not unix seconds');
  }
  const timestamp = Number(timestampText);
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  if (timestamp < nowSeconds - tolerance) {
    throw new WebhookVerificationError('timestamp-too-old', `the message is more than ${tolerance} s old`);
  }
  if (timestamp > nowSeconds + tolerance) {
    throw new WebhookVerificationError('timestamp-too-new', `the message is more than ${tolerance} s in the future`);
  }

  const message = { id, timestamp, body: input.body };
  const expected = secretKeys(input.secrets).map((key) => hmac(key, message));
  const received = signatureList
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === SIGNATURE_VERSION && value !== undefined && BASE64.test(value))
    .map(([, value]) => Buffer.from(value, 'base64'));
  const matches = received.some((signature) => expected.some((wanted) => wanted.length === signature.length && timingSafeEqual(wanted, signature)));
  if (!matches) throw new WebhookVerificationError('no-matching-signature', 'no signature matches the secret(s)');
  return { id, timestamp };
}
