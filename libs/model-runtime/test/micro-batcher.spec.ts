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

  it('starts no batch with a share of a group: an idle batcher runs the whole group together', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 4, maxWaitMs: 0 });
    await expect(batcher.submitAll([{ item: 1 }, { item: 2 }, { item: 3 }])).resolves.toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
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

  describe('sharing batches fairly across groups', () => {
    /** Submits item 0 (which runs alone, held until the returned gate opens), then calls `queue` to fill the queue behind it. */
    function queueBehindARunningBatch(
      options: Partial<MicroBatcherOptions<number, number>>,
      queue: (batcher: MicroBatcher<number, number>) => Promise<unknown>[],
    ) {
      const held = gate();
      const { batcher, batches } = recordingBatcher({ fairGroups: true, ...options }, (batch) => (batch === 0 ? held.promise : undefined));
      const results = [batcher.submit(0), ...queue(batcher)];
      held.open();
      return { batches, results: Promise.all(results) };
    }
    const items = (first: number, count: number) => Array.from({ length: count }, (_, i) => ({ item: first + i }));

    it('lets a small caller through in the next batch behind a large one, while the large one still advances', async () => {
      // A large caller queues 10 items before a small one queues 2 and a single item arrives.
      const { batches, results } = queueBehindARunningBatch({ maxBatchSize: 4 }, (batcher) => [
        batcher.submitAll(items(100, 10), { group: 'large' }),
        batcher.submitAll(items(200, 2), { group: 'small' }),
        batcher.submit(300),
      ]);
      await expect(results).resolves.toEqual([0, Array.from({ length: 10 }, (_, i) => (100 + i) * 10), [2000, 2010], 3000]);
      // One item of the oldest (large), then the fewest left: the single item, then small. Each batch keeps the order of arrival.
      expect(batches).toEqual([[0], [100, 200, 201, 300], [101, 102, 103, 104], [105, 106, 107, 108], [109]]);
    });

    it('finishes callers of equal size one after another, not all at the end', async () => {
      const finished: string[] = [];
      const { batches, results } = queueBehindARunningBatch({ maxBatchSize: 4 }, (batcher) =>
        ['a', 'b', 'c'].map((group, g) => batcher.submitAll(items(10 * (g + 1), 4), { group }).then(() => finished.push(group))),
      );
      await results;
      expect(batches).toEqual([[0], [10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33]]);
      expect(finished).toEqual(['a', 'b', 'c']);
    });

    it('keeps every caller advancing: the oldest gets an item in each batch, however many smaller ones arrive', async () => {
      const { batches, results } = queueBehindARunningBatch({ maxBatchSize: 2 }, (batcher) => [
        batcher.submitAll(items(100, 4), { group: 'large' }),
        ...[1, 2, 3].map((i) => batcher.submit(i)),
      ]);
      await results;
      // Single items have the fewest left, yet the large caller has an item in every batch until it is done.
      expect(batches).toEqual([[0], [100, 1], [101, 2], [102, 103], [3]]);
    });

    it('is first in, first out for items without a group', async () => {
      const { batches, results } = queueBehindARunningBatch({ maxBatchSize: 2 }, (batcher) => [1, 2, 3, 4].map((item) => batcher.submit(item)));
      await expect(results).resolves.toEqual([0, 10, 20, 30, 40]);
      expect(batches).toEqual([[0], [1, 2], [3, 4]]);
    });

    it('ends a batch at the first item past maxBatchCost', async () => {
      const { batches, results } = queueBehindARunningBatch({ maxBatchSize: 8, maxBatchCost: 5 }, (batcher) => [
        batcher.submitAll(
          [
            { item: 1, cost: 2 },
            { item: 2, cost: 2 },
            { item: 3, cost: 2 },
          ],
          { group: 'a' },
        ),
        batcher.submitAll([{ item: 4, cost: 2 }], { group: 'b' }),
      ]);
      await results;
      // Item 1 (the oldest group's), then b (fewest left): 4; then a's item 2 would pass 5.
      expect(batches).toEqual([[0], [1, 4], [2, 3]]);
    });

    it('refuses to combine with a lookahead', () => {
      expect(() => recordingBatcher({ maxBatchSize: 2, lookahead: 4, fairGroups: true })).toThrow('fairGroups does not combine with lookahead');
    });
  });
});
