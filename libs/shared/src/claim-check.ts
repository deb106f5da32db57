/**
 * A claim check: a value too large to travel through Redis (the job view, the event stream, BullMQ)
 * is stored once in a blob store, and only this reference travels.
 */
export interface BlobRef {
  /** The blob's id in the store; it starts with its expiry (epoch ms, 13 digits), so stores can sweep by name. */
  blob: string;
  bytes: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  contentType: string;
}

/**
 * How a claim is written where JSON text is expected in Redis (the view's `output`, an event's
 * payload, a stream chunk). JSON text never starts with `@`, so a stored value is either JSON or a
 * claim, never both, and no client-supplied value can pass for a claim.
 */
const CLAIM_PREFIX = '@blob:';

export function claimText(ref: BlobRef): string {
  return CLAIM_PREFIX + JSON.stringify(ref);
}

/** The reference a stored value holds, or undefined when it is plain JSON text. */
export function parseClaim(text: string | undefined): BlobRef | undefined {
  return text !== undefined && text.startsWith(CLAIM_PREFIX) ? (JSON.parse(text.slice(CLAIM_PREFIX.length)) as BlobRef) : undefined;
}

/** A value over the configured maximum size: the job fails with this instead of being truncated. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly field: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`${field} is ${bytes} bytes, more than the maximum of ${maxBytes} bytes`);
  }
}

/** The blob store could not take or give back a value (unreachable, full, refused). */
export class BlobStoreUnavailableError extends Error {
  override readonly name = 'BlobStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Where the job state store keeps values over the claim-check threshold. `offload` answers the
 * text to store in Redis: the JSON itself when small, else a claim; `load` answers a claim's JSON.
 * `keepsInline` says, from the text alone, that `offload` would answer it unchanged, so a caller
 * can skip finding the expiry a blob would need.
 */
export interface PayloadOffload {
  offload(json: string, field: string, expiresAt: number): Promise<string>;
  load(ref: BlobRef): Promise<string>;
  keepsInline(json: string): boolean;
}

/** No blob store: every value stays inline (the behaviour before claim checks). */
export const INLINE_PAYLOADS: PayloadOffload = {
  offload: async (json) => json,
  keepsInline: () => true,
  load: async (ref) => {
    throw new BlobStoreUnavailableError(`Blob ${ref.blob} cannot be read: this process has no blob store configured`);
  },
};

/** The JSON a stored value stands for, fetching it when it is a claim. */
export async function resolveStored(text: string, payloads: PayloadOffload): Promise<string> {
  const ref = parseClaim(text);
  return ref ? payloads.load(ref) : text;
}
