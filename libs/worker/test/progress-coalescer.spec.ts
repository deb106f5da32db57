import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ProgressCoalescer } from '../src/progress-coalescer';

describe('progress coalescing', () => {
  let clock = 0;
  let written: number[];
  let coalescer: ProgressCoalescer<number>;
  const deferredErrors: unknown[] = [];

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
    written = [];
    deferredErrors.length = 0;
    coalescer = new ProgressCoalescer<number>(
      250,
      async (value) => {
        written.push(value);
      },
      (error) => deferredErrors.push(error),
      () => clock,
    );
  });

  afterEach(() => {
    coalescer.close();
    jest.useRealTimers();
  });

  const advance = (ms: number) => {
    clock += ms;
    jest.advanceTimersByTime(ms);
  };

  it('writes the first value at once and the latest of a burst when the interval ends', async () => {
    for (let value = 1; value <= 100; value++) await coalescer.offer(value);
    expect(written).toEqual([1]);
    advance(250);
    expect(written).toEqual([1, 100]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('writes at once again once an interval has passed without values', async () => {
    await coalescer.offer(1);
    advance(300);
    await coalescer.offer(2);
    expect(written).toEqual([1, 2]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps to one write per interval under a steady stream of values', async () => {
    for (let step = 0; step < 100; step++) {
      await coalescer.offer(step);
      advance(10);
    }
    advance(250);
    // 1000 ms of values at 100/s: one write per 250 ms interval, the last value among them.
    expect(written.length).toBeLessThanOrEqual(6);
    expect(written.at(-1)).toBe(99);
  });

  it('drops the waiting value and its timer when closed, and ignores later values', async () => {
    await coalescer.offer(1);
    await coalescer.offer(2);
    expect(jest.getTimerCount()).toBe(1);
    coalescer.close();
    expect(jest.getTimerCount()).toBe(0);
    await coalescer.offer(3);
    advance(1000);
    expect(written).toEqual([1]);
  });

  it('reports a deferred write that fails, since no caller is left to hear it', async () => {
    const failing = new ProgressCoalescer<number>(
      250,
      async () => Promise.reject(new Error('redis down')),
      (error) => deferredErrors.push(error),
      () => clock,
    );
    await expect(failing.offer(1)).rejects.toThrow('redis down');
    await failing.offer(2);
    advance(250);
    for (let tick = 0; tick < 5; tick++) await Promise.resolve();
    expect(deferredErrors).toEqual([expect.objectContaining({ message: 'redis down' })]);
  });
});
