import { BatchItemTooLargeError, BatchResultCountError, BatcherClosedError, BatcherOverloadedError } from './errors';

/**
 * Runs one batch. Returns one entry per item, in the same order: the item's result, or an Error
 * that fails that item alone. Throwing fails every item of the batch.
 */
export type RunBatch<Item, Result> = (items: readonly Item[]) => Promise<ReadonlyArray<Result | Error>>;

export interface MicroBatcherOptions<Item, Result> {
  /** For messages and errors, e.g. the model id. */
  name: string;
  runBatch: RunBatch<Item, Result>;
  maxBatchSize: number;
  /** Budget of a batch in item costs (tokens, pixels…). Default: unlimited. */
  maxBatchCost?: number;
  /** How long the oldest queued item may wait for a batch to fill. 0: run whatever is queued as soon as the runner is idle. */
  maxWaitMs: number;
  /** Items waiting beyond this are refused at once with BatcherOverloadedError. */
  maxQueued: number;
  /**
   * How many of the oldest queued items a batch may choose from. Above maxBatchSize, these items
   * are cut, in order of cost, into consecutive batches, and the one holding the oldest item runs
   * next: items of similar cost run together, which cuts the padding when a batch is padded to its
   * costliest item (texts to the longest). The oldest item always runs in the next batch, so none
   * is passed over for long. Default maxBatchSize: strictly first in, first out.
   */
  lookahead?: number;
  /**
   * Batches are shared across the groups items were submitted in (SubmitOptions.group), instead of
   * first in, first out: each batch takes one item of the oldest group, so every group advances,
   * and fills the rest from the groups with the fewest items left (oldest first among equals). A
   * caller with few items (a small image) is done within a batch or two even behind one with
   * hundreds (a large image's patches), and callers of equal size finish one after another instead
   * of all at the end. Not combined with lookahead.
   */
  fairGroups?: boolean;
}

export interface SubmitOptions {
  /** An item whose signal fires before its batch starts is dropped and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This item's share of maxBatchCost, and what batches group by when lookahead exceeds maxBatchSize. Default 1. */
  cost?: number;
  /** With fairGroups, the caller's items share this key (any value compared with ===); each item is a group of its own without it. */
  group?: unknown;
}

export interface MicroBatcherStats {
  queued: number;
  /** Items in the batch being run. */
  running: number;
  batchesRun: number;
  itemsRun: number;
  meanBatchSize: number;
}

interface QueuedItem<Item, Result> {
  item: Item;
  cost: number;
  group: unknown;
  enqueuedAt: number;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
  detach: () => void;
}

/** Positions in the queue (ascending) of the items the next batch takes, and whether that fills it. */
interface BatchSelection {
  positions: number[];
  full: boolean;
}

/** The items at the head of the queue, as many as maxBatchSize and maxBatchCost allow. */
function firstInLine(costs: readonly number[], maxSize: number, maxCost: number): BatchSelection {
  let count = 0;
  let cost = 0;
  for (const next of costs) {
    if (count === maxSize || cost + next > maxCost) break;
    count += 1;
    cost += next;
  }
  const full = count === maxSize || count < costs.length || cost === maxCost;
  return { positions: Array.from({ length: count }, (_, position) => position), full };
}

/**
 * Cuts the items, in order of cost, into consecutive batches as maxBatchSize and maxBatchCost allow
 * (cheapest first), and takes the batch that holds the oldest item (position 0). It is full when
 * the items would fill a first-in-line batch: with enough work queued, there is no reason to wait.
 */
function similarInCost(costs: readonly number[], maxSize: number, maxCost: number): BatchSelection {
  const order = costs.map((_, position) => position).sort((a, b) => costs[a] - costs[b] || a - b);
  let start = 0;
  let cost = 0;
  let end = 0;
  for (let holdsOldest = false; end < order.length; end++) {
    const next = costs[order[end]];
    if (end - start === maxSize || cost + next > maxCost) {
      if (holdsOldest) break;
      start = end;
      cost = 0;
    }
    cost += next;
    holdsOldest ||= order[end] === 0;
  }
  const positions = order.slice(start, end).sort((a, b) => a - b);
  return { positions, full: firstInLine(costs, maxSize, maxCost).full };
}

/**
 * The fairGroups rule: one item of the oldest group, then the items of the groups with the fewest
 * items queued (oldest first among equals), in order, while maxBatchSize and maxBatchCost allow
 * (the first item that does not fit ends the batch).
 */
function fairShare(groups: readonly unknown[], costs: readonly number[], maxSize: number, maxCost: number): BatchSelection {
  const byGroup = new Map<unknown, number[]>();
  groups.forEach((group, position) => {
    const positions = byGroup.get(group);
    if (positions) positions.push(position);
    else byGroup.set(group, [position]);
  });
  // A Map keeps insertion order: the group of the oldest item comes first.
  const [oldest, ...others] = byGroup.values();
  const order = [oldest.slice(0, 1), ...[oldest.slice(1), ...others].sort((a, b) => a.length - b.length || a[0] - b[0])];
  const taken: number[] = [];
  let cost = 0;
  fill: for (const positions of order) {
    for (const position of positions) {
      if (taken.length === maxSize || cost + costs[position] > maxCost) break fill;
      taken.push(position);
      cost += costs[position];
    }
  }
  const full = taken.length === maxSize || taken.length < groups.length || cost === maxCost;
  return { positions: taken.sort((a, b) => a - b), full };
}

/**
 * Groups items submitted by concurrent callers into batches for one runner: a batch closes when it
 * reaches maxBatchSize items or maxBatchCost, or when its oldest item has waited maxWaitMs. One
 * batch runs at a time, and items arriving meanwhile form the next one, which starts as soon as
 * the runner is free. Order is first in, first out, within and across batches, unless lookahead
 * lets batches group items of similar cost; within a batch, items keep their order of arrival.
 */
export class MicroBatcher<Item, Result> {
  private readonly queue: QueuedItem<Item, Result>[] = [];
  private readonly maxBatchCost: number;
  private readonly lookahead: number;
  private running = 0;
  private batchesRun = 0;
  private itemsRun = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set while submitAll queues its items, which then are scheduled at once. */
  private queueing = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: MicroBatcherOptions<Item, Result>) {
    if (!(options.maxBatchSize >= 1)) throw new RangeError('maxBatchSize must be at least 1');
    if (!(options.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must not be negative');
    if (!(options.maxQueued >= 1)) throw new RangeError('maxQueued must be at least 1');
    this.lookahead = options.lookahead ?? options.maxBatchSize;
    if (!(this.lookahead >= options.maxBatchSize)) throw new RangeError('lookahead must be at least maxBatchSize');
    if (options.fairGroups && this.lookahead !== options.maxBatchSize) throw new RangeError('fairGroups does not combine with lookahead');
    this.maxBatchCost = options.maxBatchCost ?? Number.POSITIVE_INFINITY;
  }

  submit(item: Item, { signal, cost = 1, group }: SubmitOptions = {}): Promise<Result> {
    const { name } = this.options;
    if (this.closed) return Promise.reject(new BatcherClosedError(name));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!(cost >= 0) || !Number.isFinite(cost)) {
      return Promise.reject(new RangeError(`An item's cost must be a finite number ≥ 0, got ${cost}`));
    }
    if (cost > this.maxBatchCost) return Promise.reject(new BatchItemTooLargeError(name, cost, this.maxBatchCost));
    if (this.queue.length >= this.options.maxQueued) return Promise.reject(new BatcherOverloadedError(name, this.options.maxQueued));

    return new Promise<Result>((resolve, reject) => {
      const onAbort = () => {
        const index = this.queue.indexOf(queued);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal?.reason);
        this.settleIfIdle();
      };
      const queued: QueuedItem<Item, Result> = {
        item,
        cost,
        group: group ?? Symbol('item'),
        enqueuedAt: performance.now(),
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(queued);
      this.schedule();
    });
  }

  /**
   * Submits items that stand or fall together, such as the texts of one request: either all of
   * them are queued, or, when they do not all fit, none is and the result rejects with
   * BatcherOverloadedError, so no share of the work runs for a caller that is refused.
   */
  submitAll(items: readonly { item: Item; cost?: number }[], { signal, group }: Pick<SubmitOptions, 'signal' | 'group'> = {}): Promise<Result[]> {
    if (!this.closed && this.queue.length + items.length > this.options.maxQueued) {
      return Promise.reject(new BatcherOverloadedError(this.options.name, this.options.maxQueued));
    }
    // Queued as one: a batch never starts with a share of them because the loop paused (a GC, say) past maxWaitMs.
    this.queueing = true;
    let results: Promise<Result>[];
    try {
      results = items.map(({ item, cost }) => this.submit(item, { signal, cost, group }));
    } finally {
      this.queueing = false;
    }
    this.schedule();
    return Promise.all(results);
  }

  stats(): MicroBatcherStats {
    return {
      queued: this.queue.length,
      running: this.running,
      batchesRun: this.batchesRun,
      itemsRun: this.itemsRun,
      meanBatchSize: this.batchesRun === 0 ? 0 : this.itemsRun / this.batchesRun,
    };
  }

  /** Refuses new items, runs the queued ones without waiting for batches to fill, and resolves when all are done. */
  close(): Promise<void> {
    this.closed = true;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.schedule();
    this.settleIfIdle();
    return idle;
  }

  private selectBatch(): BatchSelection {
    const { maxBatchSize } = this.options;
    if (this.options.fairGroups) {
      return fairShare(
        this.queue.map((queued) => queued.group),
        this.queue.map((queued) => queued.cost),
        maxBatchSize,
        this.maxBatchCost,
      );
    }
    const costs = this.queue.slice(0, this.lookahead).map((queued) => queued.cost);
    if (this.lookahead === maxBatchSize) return firstInLine(costs, maxBatchSize, this.maxBatchCost);
    return similarInCost(costs, maxBatchSize, this.maxBatchCost);
  }

  private takeFromQueue(positions: readonly number[]): QueuedItem<Item, Result>[] {
    const batch = positions.map((position) => this.queue[position]);
    for (let index = positions.length - 1; index >= 0; index--) this.queue.splice(positions[index], 1);
    return batch;
  }

  private schedule(): void {
    if (this.queueing || this.running > 0 || this.queue.length === 0) return;
    const { positions, full } = this.selectBatch();
    const waited = performance.now() - this.queue[0].enqueuedAt;
    if (full || this.closed || waited >= this.options.maxWaitMs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.runBatch(this.takeFromQueue(positions));
      return;
    }
    // The timer may fire for an item that was aborted since; schedule() then re-arms it for the new oldest one.
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        this.schedule();
      },
      Math.ceil(this.options.maxWaitMs - waited),
    );
  }

  private async runBatch(batch: QueuedItem<Item, Result>[]): Promise<void> {
    this.running = batch.length;
    for (const queued of batch) queued.detach();
    try {
      const results = await this.options.runBatch(batch.map((queued) => queued.item));
      if (results.length !== batch.length) throw new BatchResultCountError(this.options.name, batch.length, results.length);
      batch.forEach((queued, index) => {
        const result = results[index];
        if (result instanceof Error) queued.reject(result);
        else queued.resolve(result);
      });
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    } finally {
      this.running = 0;
      this.batchesRun += 1;
      this.itemsRun += batch.length;
      this.schedule();
      this.settleIfIdle();
    }
  }

  private settleIfIdle(): void {
    if (!this.closed || this.running > 0 || this.queue.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
