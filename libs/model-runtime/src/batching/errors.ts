import { SwitchyardError } from '@switchyard/shared';

/** Base class of the failures of a micro-batcher; `batcher` names it (usually the model). */
export abstract class BatcherError extends SwitchyardError {
  protected constructor(
    readonly batcher: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The queue is full: the caller should shed the load (HTTP 429/503) rather than wait. It is a
 * capacity refusal in the worker runtime's terms (`capacityRefusal`, `retryAfterMs`), so a job
 * that meets it goes back to its queue instead of failing.
 */
export class BatcherOverloadedError extends BatcherError {
  readonly capacityRefusal = true;

  constructor(
    batcher: string,
    readonly maxQueued: number,
    readonly retryAfterMs = 1_000,
  ) {
    super(batcher, `Batcher "${batcher}" is overloaded: ${maxQueued} items are already queued`);
  }
}

/** One item costs more than a whole batch may (e.g. more tokens than the token budget). */
export class BatchItemTooLargeError extends BatcherError {
  constructor(
    batcher: string,
    readonly cost: number,
    readonly maxBatchCost: number,
  ) {
    super(batcher, `Batcher "${batcher}" cannot take an item of cost ${cost}: a batch may cost at most ${maxBatchCost}`);
  }
}

export class BatcherClosedError extends BatcherError {
  constructor(batcher: string) {
    super(batcher, `Batcher "${batcher}" is closed`);
  }
}

/** runBatch broke its contract of one result per item. */
export class BatchResultCountError extends BatcherError {
  constructor(
    batcher: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(batcher, `Batcher "${batcher}": runBatch returned ${actual} results for ${expected} items`);
  }
}
