import type { IncomingHttpHeaders } from 'node:http';
import { parseRetryAfter } from '@switchyard/outbound';

/** One quota window of a `RateLimit` header: requests left, and seconds until the window resets. */
export interface RateLimitWindow {
  name?: string;
  remaining: number;
  resetSeconds: number;
}

// Structured-field list of draft-ietf-httpapi-ratelimit-headers ≥ 08, which RunPod's spec uses:
// `"minute";r=0;t=12, "hour";r=2800;t=1812`.
const WINDOW_MEMBER = /^(?:"([^"]*)"|([A-Za-z*][\w.*:/-]*))((?:\s*;\s*[a-z][a-z0-9_.*-]*=[^;,]*)*)$/;

function parameters(text: string): Map<string, string> {
  const entries = text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const equals = part.indexOf('=');
      return [part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim()] as const;
    });
  return new Map(entries);
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The windows of a `RateLimit` header, in either form of the IETF draft: the structured list
 * (`"minute";r=0;t=12, …`) or the earlier dictionary (`limit=100, remaining=0, reset=12`). Members
 * that are neither are skipped.
 */
export function parseRateLimitHeader(value: string | undefined): RateLimitWindow[] {
  if (!value) return [];
  const members = value.split(',').map((member) => member.trim());
  const dictionary = new Map(members.map((member) => member.split('=').map((part) => part.trim()) as [string, string | undefined]));
  const legacyRemaining = wholeNumber(dictionary.get('remaining'));
  const legacyReset = wholeNumber(dictionary.get('reset'));
  if (legacyRemaining !== undefined && legacyReset !== undefined) return [{ remaining: legacyRemaining, resetSeconds: legacyReset }];

  const windows: RateLimitWindow[] = [];
  for (const member of members) {
    const match = WINDOW_MEMBER.exec(member);
    if (!match) continue;
    const params = parameters(match[3]);
    const remaining = wholeNumber(params.get('r'));
    const resetSeconds = wholeNumber(params.get('t'));
    if (remaining !== undefined && resetSeconds !== undefined) windows.push({ name: match[1] ?? match[2], remaining, resetSeconds });
  }
  return windows;
}

/**
 * How long RunPod asks us to wait, in ms: the latest reset among the exhausted `RateLimit` windows
 * (also read from the draft's older `RateLimit-Remaining`/`RateLimit-Reset` pair) or `Retry-After`,
 * whichever is later; undefined when the answer says neither.
 */
export function rateLimitWaitMs(headers: IncomingHttpHeaders, now: number = Date.now()): number | undefined {
  const windows = parseRateLimitHeader(headerText(headers['ratelimit']));
  const remaining = wholeNumber(headerText(headers['ratelimit-remaining']));
  const reset = wholeNumber(headerText(headers['ratelimit-reset']));
  if (remaining !== undefined && reset !== undefined) windows.push({ remaining, resetSeconds: reset });
  const exhausted = windows.filter((window) => window.remaining === 0).map((window) => window.resetSeconds * 1000);
  const retryAfter = parseRetryAfter(headerText(headers['retry-after']), now);
  const candidates = retryAfter === undefined ? exhausted : [...exhausted, retryAfter];
  return candidates.length === 0 ? undefined : Math.max(...candidates);
}
