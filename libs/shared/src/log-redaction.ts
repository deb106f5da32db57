/**
 * What a log line may carry of the objects it is given: fields named like secrets are replaced,
 * keys and bearer tokens inside text are masked, long text is cut and base64 payloads (images,
 * audio) are left out, so that job inputs and errors can be logged without leaking.
 */
const SECRET_FIELD = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key|access[-_]?(id|key)|signature/i;
const SECRET_TEXT = [
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\bsy_[A-Za-z0-9_-]{8,}/g, 'sy_[redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=]{8,}/g, 'whsec_[redacted]'],
  [/\bsy1\.[A-Za-z0-9._-]{20,}/g, 'sy1.[sealed]'],
] as const;
const DATA_URI = /^data:[^;,]*;base64,/i;
const BASE64_RUN = /^[A-Za-z0-9+/_-]{200,}={0,2}$/;
export const LOG_TEXT_LIMIT = 512;
const ARRAY_LIMIT = 20;
const DEPTH_LIMIT = 6;
/** Fields whose text is kept whole (stack traces help more than they risk). */
const WHOLE_TEXT = new Set(['stack', 'msg']);

export function redactText(text: string, limit = LOG_TEXT_LIMIT): string {
  if (DATA_URI.test(text) || BASE64_RUN.test(text.replace(/\s+/g, ''))) return `[base64, ${text.length} characters]`;
  let safe = text.replace(/[A-Za-z0-9+/_-]{200,}={0,2}/g, (run) => `[base64, ${run.length} characters]`);
  for (const [pattern, replacement] of SECRET_TEXT) safe = safe.replace(pattern, replacement);
  return safe.length > limit ? `${safe.slice(0, limit)}… [${safe.length - limit} more characters]` : safe;
}

export function redactForLog(value: unknown, depth = 0, key = ''): unknown {
  if (typeof value === 'string') return WHOLE_TEXT.has(key) ? redactText(value, Infinity) : redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= DEPTH_LIMIT) return '[nested too deep]';
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[binary, ${(value as ArrayBufferView).byteLength} bytes]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, ARRAY_LIMIT).map((item) => redactForLog(item, depth + 1));
    return value.length > ARRAY_LIMIT ? [...items, `[${value.length - ARRAY_LIMIT} more items]`] : items;
  }
  if (value instanceof Error) return value;
  const result: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    result[field] = SECRET_FIELD.test(field) && item !== undefined && item !== null && item !== '' ? '[redacted]' : redactForLog(item, depth + 1, field);
  }
  return result;
}
