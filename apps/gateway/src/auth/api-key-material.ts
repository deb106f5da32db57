import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'sy_';
/** Longer credentials are refused before anything looks them up: no key we issue comes close. */
export const MAX_KEY_LENGTH = 256;
const KEY_CHARACTERS = /^[A-Za-z0-9_\-.~+/=]+$/;

/** A new API key: 256 random bits, shown once; only its hash is stored. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Whether a credential could be a key at all: bounded length, token characters only. */
export function isWellFormedKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && KEY_CHARACTERS.test(key);
}

/** Keys carry 256 random bits, so one SHA-256 is as strong as a slow password hash here. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

/** Whether two key hashes (hex, of equal length) are equal, in time that does not depend on where they differ. */
export function sameHash(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * The webhook secret of the SWITCHYARD_API_KEY principal when SWITCHYARD_WEBHOOK_SECRET is not set:
 * derived from the key, so whoever holds the key can compute it (`npm run keys -- webhook-secret`).
 */
export function deriveWebhookSecret(apiKey: string): string {
  return 'whsec_' + createHmac('sha256', apiKey).update('switchyard webhook secret v1').digest('base64');
}
