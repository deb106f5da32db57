import { byteBoundedBatches } from '../src/events/event-stream-consumer';

describe('recorder batches by bytes', () => {
  const entry = (id: string, bytes: number): [string, string[]] => [id, ['ev_job', 'x'.repeat(bytes - 6)]];

  it('cuts entries, in order, into batches of at most maxBatchBytes, an oversized entry alone', () => {
    const entries = [entry('1', 400), entry('2', 400), entry('3', 400), entry('4', 5_000), entry('5', 100)];
    const batches = byteBoundedBatches(entries, 1_000).map((batch) => batch.map(([id]) => id));
    expect(batches).toEqual([['1', '2'], ['3'], ['4'], ['5']]);
  });
});
