/**
 * Limits on the shape of a JSON value, checked before anything recursive (validation,
 * serialisation, logging) touches it. Each endpoint's contract may tighten them.
 */
export interface JsonShapeLimits {
  /** Nested objects and arrays; `{}` is 1 level deep. */
  readonly maxDepth: number;
  /** Object members and array items, counted over the whole value. */
  readonly maxKeys: number;
  /** Characters of one string, keys included. */
  readonly maxStringLength: number;
}

export const DEFAULT_JSON_SHAPE_LIMITS: JsonShapeLimits = {
  maxDepth: 32,
  maxKeys: 100_000,
  maxStringLength: 16 * 1024 * 1024,
};

export type JsonShapeLimitName = keyof JsonShapeLimits | 'storableText';

export interface JsonShapeViolation {
  /** The limit broken, or `storableText` for text Postgres cannot store (U+0000, lone surrogates). */
  limit: JsonShapeLimitName;
  /** Where: keys and indexes from the root. */
  path: (string | number)[];
  message: string;
}

// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const SUSPECT_CHARACTERS = /[\u0000\ud800-\udfff]/;

/**
 * Why `text` cannot be stored as JSON text in Postgres, if it cannot: `jsonb` and `text` refuse
 * U+0000, and `jsonb` refuses an unpaired UTF-16 surrogate.
 */
export function unstorableTextReason(text: string): string | undefined {
  if (!SUSPECT_CHARACTERS.test(text)) return undefined;
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (!text.isWellFormed()) return 'contains an unpaired UTF-16 surrogate, which cannot be stored';
  return undefined;
}

/** `text` with U+0000 and unpaired surrogates replaced by U+FFFD: for messages, where a lossy copy is fine. */
export function toStorableText(text: string): string {
  return SUSPECT_CHARACTERS.test(text) ? text.toWellFormed().replaceAll('\u0000', '\ufffd') : text;
}

interface Pending {
  value: unknown;
  depth: number;
  parent?: Pending;
  key?: string | number;
}

function pathOf(node: Pending | undefined): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at = node; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * The first way `value` breaks `limits` or holds text that cannot be stored, found without
 * recursion (an explicit stack), so a value nested without bound cannot overflow the call stack.
 */
export function findJsonShapeViolation(value: unknown, limits: JsonShapeLimits = DEFAULT_JSON_SHAPE_LIMITS): JsonShapeViolation | undefined {
  const stack: Pending[] = [{ value, depth: 0 }];
  let keys = 0;
  const checkText = (text: string, node: Pending): JsonShapeViolation | undefined => {
    if (text.length > limits.maxStringLength) {
      return { limit: 'maxStringLength', path: pathOf(node), message: `is longer than the limit of ${limits.maxStringLength} characters (maxStringLength)` };
    }
    const reason = unstorableTextReason(text);
    return reason ? { limit: 'storableText', path: pathOf(node), message: reason } : undefined;
  };
  while (stack.length > 0) {
    const node = stack.pop()!;
    const current = node.value;
    if (typeof current === 'string') {
      const violation = checkText(current, node);
      if (violation) return violation;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const depth = node.depth + 1;
    if (depth > limits.maxDepth) {
      return { limit: 'maxDepth', path: pathOf(node), message: `is nested deeper than the limit of ${limits.maxDepth} levels (maxDepth)` };
    }
    const entries: [string | number, unknown][] = Array.isArray(current) ? current.map((item, index) => [index, item]) : Object.entries(current);
    keys += entries.length;
    if (keys > limits.maxKeys) {
      return { limit: 'maxKeys', path: pathOf(node), message: `has more than the limit of ${limits.maxKeys} keys and items in all (maxKeys)` };
    }
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, item] = entries[i];
      const child: Pending = { value: item, depth, parent: node, key };
      if (typeof key === 'string') {
        const violation = checkText(key, child);
        if (violation) return { ...violation, message: `has a key that ${violation.message}` };
      }
      stack.push(child);
    }
  }
  return undefined;
}
