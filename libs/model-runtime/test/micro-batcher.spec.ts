import {
  BatchItemTooLargeError,
  BatchResultCountError,
  BatcherClosedError,
  BatcherOverloadedError,
  MicroBatcher,
  type MicroBatcherOptions,
} from '@switchyard/model-runtime';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A batcher whose runner records each batch and answers item × 10, after `gateFor(batchIndex)` opens. */
function recordingBatcher(options: Partial<MicroBatcherOptions<number, number>> = {}, gateFor?: (batch: number) => Promise<void> | undefined) {
  const batches: number[][] = [];
  const batcher = new MicroBatcher<number, number>({
    name: 'test-model',
    maxBatchSize: 8,
    maxWaitMs: 0,
    maxQueued: 100,
    runBatch: async (items) => {
      batches.push([...items]);
      await gateFor?.(batches.length - 1);
      return items.map((item) => item * 10);
    },
    ...options,
  });
  return { batcher, batches };
}

describe('MicroBatcher', () => {
  it('splits results back in order, building the next batch while one runs', async () => {
    const first = gate();
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 2 }, (batch) => (batch === 0 ? first.promise : undefined));

    const results = [1, 2, 3, 4, 5].map((item) => batcher.submit(item));
    expect(batcher.stats()).toMatchObject({ running: 1, queued: 4 });
    first.open();

    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
    expect(batcher.stats()).toEqual({ queued: 0, running: 0, batchesRun: 3, itemsRun: 5, meanBatchSize: 5 / 3 });
  });

  it('waits up to maxWaitMs for a batch to fill, then runs what it has', async () => {
    const { batcher, batches } = recordingBatcher({ maxWaitMs: 40 });
    const started = performance.now();

    const results = await Promise.all([batcher.submit(1), batcher.submit(2), batcher.submit(3)]);

    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(39);
    expect(elapsed).toBeLessThan(1000);
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('runs a batch as soon as it reaches maxBatchSize', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 3, maxWaitMs: 10_000 });
    const started = performance.now();

    await Promise.all([1, 2, 3].map((item) => batcher.submit(item)));

    expect(performance.now() - started).toBeLessThan(1000);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('closes a batch at the cost budget and refuses an item that alone exceeds it', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchCost: 10, maxWaitMs: 30 });

    const results = Promise.all([
      batcher.submit(1, { cost: 4 }),
      batcher.submit(2, { cost: 4 }),
      batcher.submit(3, { cost: 4 }),
      batcher.submit(4, { cost: 2 }),
    ]);

    await expect(batcher.submit(5, { cost: 11 })).rejects.toThrow(BatchItemTooLargeError);
    await expect(batcher.submit(5, { cost: 11 })).rejects.toThrow('Batcher "test-model" cannot take an item of cost 11: a batch may cost at most 10');
    await expect(results).resolves.toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('refuses work past maxQueued at once instead of queueing it', async () => {
    const first = gate();
    const { batcher } = recordingBatcher({ maxQueued: 2 }, (batch) => (batch === 0 ? first.promise : undefined));
    const running = batcher.submit(1);
    const queued = [batcher.submit(2), batcher.submit(3)];

    await expect(batcher.submit(4)).rejects.toThrow(BatcherOverloadedError);
    await expect(batcher.submit(4)).rejects.toThrow('Batcher "test-model" is overloaded: 2 items are already queued');
    first.open();
    await expect(Promise.all([running, ...queued])).resolves.toEqual([10, 20, 30]);
  });

  it('queues a group of items all at once, or refuses the whole group when it does not fit', async () => {
    const first = gate();
    const { batcher, batches } = recordingBatcher({ maxQueued: 3 }, (batch) => (batch === 0 ? first.promise : undefined));
    const running = batcher.submit(1);
    const group = batcher.submitAll([{ item: 2 }, { item: 3 }]);

    const refused = batcher.submitAll([{ item: 4 }, { item: 5 }]);
    await expect(refused).rejects.toThrow(BatcherOverloadedError);
    await expect(refused).rejects.toMatchObject({ capacityRefusal: true, retryAfterMs: expect.any(Number) });
    first.open();
    await expect(Promise.all([running, group])).resolves.toEqual([10, [20, 30]]);
    expect(batches.flat()).not.toContain(4);
  });

  it('drops an item whose signal fires before its batch runs', async () => {
    const first = gate();
    const { batcher, batches } = recordingBatcher({}, (batch) => (batch === 0 ? first.promise : undefined));
    const controller = new AbortController();
    const running = batcher.submit(1);
    const cancelled = batcher.submit(2, { signal: controller.signal });
    const kept = batcher.submit(3);

    controller.abort(new Error('client went away'));
    first.open();

    await expect(cancelled).rejects.toThrow('client went away');
    await expect(Promise.all([running, kept])).resolves.toEqual([10, 30]);
    expect(batches).toEqual([[1], [3]]);
    await expect(batcher.submit(4, { signal: controller.signal })).rejects.toThrow('client went away');
  });

  it('fails only the items that the runner answers with an Error', async () => {
    const batcher = new MicroBatcher<string, number>({
      name: 'parser',
      maxBatchSize: 4,
      maxWaitMs: 5,
      maxQueued: 10,
      runBatch: async (items) => items.map((item) => (Number.isNaN(Number(item)) ? new Error(`not a number: ${item}`) : Number(item))),
    });

    const results = await Promise.allSettled(['1', 'x', '3'].map((item) => batcher.submit(item)));

    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('not a number: x') },
      { status: 'fulfilled', value: 3 },
    ]);
  });

  it('fails every item of a batch whose runner throws or miscounts its results', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>({
      name: 'flaky',
      maxBatchSize: 2,
      maxWaitMs: 5,
      maxQueued: 10,
      runBatch: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('CUDA out of memory');
        return items.slice(1);
      },
    });

    const thrown = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    const miscounted = batcher.submit(3);

    expect(thrown.map((result) => result.status === 'rejected' && (result.reason as Error).message)).toEqual(['CUDA out of memory', 'CUDA out of memory']);
    await expect(miscounted).rejects.toThrow(BatchResultCountError);
    await expect(miscounted).rejects.toThrow('Batcher "flaky": runBatch returned 0 results for 1 items');
  });

  it('runs what is queued without waiting on close, then refuses new items', async () => {
    const { batcher, batches } = recordingBatcher({ maxWaitMs: 10_000 });
    const started = performance.now();
    const results = Promise.all([batcher.submit(1), batcher.submit(2)]);

    await batcher.close();

    expect(performance.now() - started).toBeLessThan(1000);
    await expect(results).resolves.toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
    await expect(batcher.submit(3)).rejects.toThrow(BatcherClosedError);
  });

  describe('with a lookahead beyond maxBatchSize', () => {
    /** Submits `first` (which runs alone, held until the returned gate opens), then the others with their costs. */
    function queueBehindARunningBatch(options: Partial<MicroBatcherOptions<number, number>>, costs: readonly number[]) {
      const held = gate();
      const { batcher, batches } = recordingBatcher(options, (batch) => (batch === 0 ? held.promise : undefined));
      const results = [batcher.submit(0), ...costs.map((cost, index) => batcher.submit(index + 1, { cost }))];
      return { batches, results: Promise.all(results), release: held.open };
    }

    it('batches the oldest item with the items closest to it in cost, each batch in order of arrival', async () => {
      // Items 1..4 cost 9, 1, 8, 2: in order of cost 2, 4 | 3, 1. Item 1 is the oldest: its batch runs first.
      const { batches, results, release } = queueBehindARunningBatch({ maxBatchSize: 2, lookahead: 8 }, [9, 1, 8, 2]);
      release();

      await expect(results).resolves.toEqual([0, 10, 20, 30, 40]);
      expect(batches).toEqual([[0], [1, 3], [2, 4]]);
    });

    it('only chooses among the first `lookahead` queued items', async () => {
      // Items 1..3 cost 5, 1, 1: in order of cost 2, 3 | 1. Item 4, as costly as item 1, is beyond the lookahead.
      const { batches, results, release } = queueBehindARunningBatch({ maxBatchSize: 2, lookahead: 3 }, [5, 1, 1, 5]);
      release();

      await expect(results).resolves.toEqual([0, 10, 20, 30, 40]);
      expect(batches).toEqual([[0], [1], [2, 3], [4]]);
    });

    it('cuts the batches at maxBatchCost', async () => {
      // Items 1..6 cost 4, 5, 4, 4, 5, 3: in order of cost, within a budget of 10, 6, 1 | 3, 4 | 2, 5.
      const { batches, results, release } = queueBehindARunningBatch({ maxBatchSize: 3, maxBatchCost: 10, lookahead: 8 }, [4, 5, 4, 4, 5, 3]);
      release();

      await expect(results).resolves.toEqual([0, 10, 20, 30, 40, 50, 60]);
      expect(batches).toEqual([[0], [1, 6], [2, 5], [3, 4]]);
    });

    it('runs the oldest item at once when enough is queued for a full batch, even if its own batch is not full', async () => {
      const held = gate();
      const { batcher, batches } = recordingBatcher({ maxBatchSize: 2, maxWaitMs: 10_000, lookahead: 8 }, (batch) => (batch === 0 ? held.promise : undefined));
      const running = [batcher.submit(0), batcher.submit(1)];
      // Items 2..4 cost 9, 1, 2: in order of cost 3, 4 | 2. Item 2's batch holds only it, but three items could fill one.
      const queued = [batcher.submit(2, { cost: 9 }), batcher.submit(3, { cost: 1 }), batcher.submit(4, { cost: 2 })];
      const started = performance.now();
      held.open();

      await expect(Promise.all([...running, ...queued])).resolves.toEqual([0, 10, 20, 30, 40]);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(batches).toEqual([[0, 1], [2], [3, 4]]);
    });

    it('refuses a lookahead below maxBatchSize', () => {
      expect(() => recordingBatcher({ maxBatchSize: 4, lookahead: 3 })).toThrow('lookahead must be at least maxBatchSize');
    });
  });

  describe('interleaving groups', () => {
    it('takes items round-robin across groups, the group with the oldest item first', async () => {
      const held = gate();
      const { batcher, batches } = recordingBatcher({ maxBatchSize: 4, interleaveGroups: true }, (batch) => (batch === 0 ? held.promise : undefined));
      const running = batcher.submit(0);
      // A large caller queues 10 items before two small ones queue 2 and 1.
      const large = batcher.submitAll(
        Array.from({ length: 10 }, (_, i) => ({ item: 100 + i })),
        { group: 'large' },
      );
      const small = batcher.submitAll([{ item: 200 }, { item: 201 }], { group: 'small' });
      const single = batcher.submit(300);
      held.open();

      await expect(Promise.all([running, large, small, single])).resolves.toEqual([
        0,
        Array.from({ length: 10 }, (_, i) => (100 + i) * 10),
        [2000, 2010],
        3000,
      ]);
      // Each batch keeps the order of arrival; the small callers finish in the first batch, not after all of `large`.
      expect(batches).toEqual([[0], [100, 101, 200, 300], [102, 103, 104, 201], [105, 106, 107, 108], [109]]);
    });

    it('is first in, first out for items without a group', async () => {
      const held = gate();
      const { batcher, batches } = recordingBatcher({ maxBatchSize: 2, interleaveGroups: true }, (batch) => (batch === 0 ? held.promise : undefined));
      const results = [0, 1, 2, 3, 4].map((item) => batcher.submit(item));
      held.open();

      await expect(Promise.all(results)).resolves.toEqual([0, 10, 20, 30, 40]);
      expect(batches).toEqual([[0], [1, 2], [3, 4]]);
    });

    it('stops a round at maxBatchCost', async () => {
      const held = gate();
      const { batcher, batches } = recordingBatcher({ maxBatchSize: 8, maxBatchCost: 5, interleaveGroups: true }, (batch) =>
        batch === 0 ? held.promise : undefined,
      );
      const running = batcher.submit(0);
      const a = batcher.submitAll(
        [
          { item: 1, cost: 2 },
          { item: 2, cost: 2 },
        ],
        { group: 'a' },
      );
      const b = batcher.submitAll(
        [
          { item: 3, cost: 2 },
          { item: 4, cost: 1 },
        ],
        { group: 'b' },
      );
      held.open();

      await Promise.all([running, a, b]);
      // Round 1 takes 1 and 3 (cost 4); item 2 (cost 2) would pass 5, so the batch ends there.
      expect(batches).toEqual([[0], [1, 3], [2, 4]]);
    });

    it('refuses to combine with a lookahead', () => {
      expect(() => recordingBatcher({ maxBatchSize: 2, lookahead: 4, interleaveGroups: true })).toThrow('interleaveGroups does not combine with lookahead');
    });
  });
});
