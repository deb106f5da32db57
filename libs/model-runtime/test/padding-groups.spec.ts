import { paddingGroups, runInPaddingGroups } from '../src';

/** The cost paddingGroups minimizes, computed here from the groups it chose. */
const costOf = (lengths: number[], groups: number[][], overhead: number) =>
  groups.reduce((sum, group) => sum + overhead + group.length * Math.max(...group.map((position) => lengths[position])), 0);

/** Every way of cutting sorted lengths into consecutive groups: the least cost, by brute force. */
function leastCost(sorted: number[], overhead: number): number {
  if (sorted.length === 0) return 0;
  let best = Infinity;
  for (let end = 1; end <= sorted.length; end++) best = Math.min(best, overhead + end * sorted[end - 1] + leastCost(sorted.slice(end), overhead));
  return best;
}

describe('paddingGroups', () => {
  it('runs a long sequence apart from short ones, and alike ones together', () => {
    // Together: 32 + 4 × 60 = 272; apart: (32 + 3 × 5) + (32 + 60) = 139.
    expect(paddingGroups([5, 60, 5, 5], 32)).toEqual([[0, 2, 3], [1]]);
    // Splitting 10s from 12s saves 2 × 2 positions, less than a run costs.
    expect(paddingGroups([12, 10, 12, 10], 32)).toEqual([[1, 3, 0, 2]]);
    expect(paddingGroups([7], 32)).toEqual([[0]]);
    expect(paddingGroups([], 32)).toEqual([]);
  });

  it('keeps a batch whole where runs are dear, and cuts it to the bone where they are free', () => {
    expect(paddingGroups([5, 60, 5, 5], 2048)).toHaveLength(1);
    expect(paddingGroups([3, 1, 2, 1], 0)).toEqual([[1, 3], [2], [0]]);
  });

  it('finds the cheapest cut, as brute force over every cut does, and places every position once', () => {
    let seed = 11;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 200; trial++) {
      const lengths = Array.from({ length: 1 + Math.floor(random() * 12) }, () => 1 + Math.floor(random() * 128));
      const overhead = [0, 8, 32, 256][trial % 4];
      const groups = paddingGroups(lengths, overhead);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, position) => position));
      expect(costOf(lengths, groups, overhead)).toBe(
        leastCost(
          [...lengths].sort((a, b) => a - b),
          overhead,
        ),
      );
    }
  });
});

describe('runInPaddingGroups', () => {
  it("runs each group apart and answers the items' results in their order", async () => {
    const runs: string[][] = [];
    const items = ['a'.repeat(50), 'bb', 'c', 'd'.repeat(48)];
    const results = await runInPaddingGroups(
      items,
      (item) => item.length,
      'cpu',
      async (group) => {
        runs.push(group);
        return group.map((item) => item.toUpperCase());
      },
    );
    expect(results).toEqual(items.map((item) => item.toUpperCase()));
    expect(runs.map((group) => group.map((item) => item.length)).sort()).toEqual(
      [
        [1, 2],
        [48, 50],
      ].sort(),
    );
  });
});
