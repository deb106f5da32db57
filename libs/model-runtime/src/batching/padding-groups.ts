/**
 * Cuts a batch of sequences into groups that each run on their own, padded to their longest: a
 * batch padded as one does the work of its longest sequence times its size, so one long text among
 * short ones can double a batch's cost. The groups minimize the padded positions plus `runOverhead`
 * (a run's fixed cost, in positions of work) per group: the sequences sorted by length, cut into
 * consecutive groups by dynamic programming. Returns each group's positions in `lengths`, shortest
 * group first; every position appears once.
 */
export function paddingGroups(lengths: readonly number[], runOverhead: number): number[][] {
  const order = lengths.map((_, position) => position).sort((a, b) => lengths[a] - lengths[b] || a - b);
  // cheapest[k]: the least cost of the first k sequences in that order; cutAt[k]: where its last group starts.
  const cheapest = new Float64Array(order.length + 1);
  const cutAt = new Int32Array(order.length + 1);
  for (let end = 1; end <= order.length; end++) {
    const longest = lengths[order[end - 1]];
    cheapest[end] = Infinity;
    for (let start = 0; start < end; start++) {
      const cost = cheapest[start] + runOverhead + (end - start) * longest;
      if (cost < cheapest[end]) {
        cheapest[end] = cost;
        cutAt[end] = start;
      }
    }
  }
  const groups: number[][] = [];
  for (let end = order.length; end > 0; end = cutAt[end]) groups.unshift(order.slice(cutAt[end], end));
  return groups;
}

/**
 * Runs the items in their padding groups for a session on `provider` (its run cost from
 * runOverheadPositions), all at once, and answers each item's result in the items' order.
 */
export async function runInPaddingGroups<Item, Result>(
  items: readonly Item[],
  lengthOf: (item: Item) => number,
  provider: string,
  run: (group: Item[]) => Promise<readonly Result[]>,
): Promise<Result[]> {
  const results = new Array<Result>(items.length);
  await Promise.all(
    paddingGroups(items.map(lengthOf), runOverheadPositions(provider)).map(async (positions) => {
      const answers = await run(positions.map((position) => items[position]));
      positions.forEach((position, index) => (results[position] = answers[index]));
    }),
  );
  return results;
}

/**
 * A run's fixed cost in positions of padded work, by the provider that runs it. On CPU the work
 * grows with the positions, and 32 was measured for MiniLM: cut into groups, mixed batches of 32
 * texts ran about 3× the texts/s of one padded run. On a GPU padding costs little until the device
 * fills, while each run costs its launches: a batch is cut only where padding would dominate.
 */
function runOverheadPositions(provider: string): number {
  return provider === 'cpu' ? 32 : 2048;
}
