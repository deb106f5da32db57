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
});
