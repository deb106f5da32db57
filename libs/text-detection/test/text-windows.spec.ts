import { specialTokensOf, tokenWindows, windowCapacity } from '../src/text-windows';

const ROBERTA = { leading: [0], trailing: [2] };
const ids = (count: number, from = 100) => Array.from({ length: count }, (_, i) => from + i);

describe('specialTokensOf', () => {
  it('finds the ids around the bare encoding', () => {
    expect(specialTokensOf([0, 31, 2], [31])).toEqual(ROBERTA);
    expect(specialTokensOf([101, 7, 8, 102], [7, 8])).toEqual({ leading: [101], trailing: [102] });
    expect(specialTokensOf([5, 6], [5, 6])).toEqual({ leading: [], trailing: [] });
  });

  it('refuses encodings that do not hold the bare one', () => {
    expect(() => specialTokensOf([0, 31, 2], [32])).toThrow(RangeError);
    expect(() => specialTokensOf([0, 2], [])).toThrow(RangeError);
  });
});

describe('tokenWindows', () => {
  const plan = { maxLength: 8, overlap: 2 };

  it('gives a text that fits one window with its special tokens, and an empty text one of special tokens only', () => {
    expect(windowCapacity(plan, ROBERTA)).toBe(6);
    expect(tokenWindows(ids(6), ROBERTA, plan)).toEqual([{ ids: [0, ...ids(6), 2], start: 0, textTokens: 6 }]);
    expect(tokenWindows([], ROBERTA, plan)).toEqual([{ ids: [0, 2], start: 0, textTokens: 0 }]);
  });

  it('cuts a longer text into windows that share the overlap, the last one ending at the text end', () => {
    const windows = tokenWindows(ids(15), ROBERTA, plan);
    expect(windows.map(({ start, textTokens }) => [start, textTokens])).toEqual([
      [0, 6],
      [4, 6],
      [8, 6],
      [12, 3],
    ]);
    expect(windows[1].ids).toEqual([0, 104, 105, 106, 107, 108, 109, 2]);
    expect(windows.every((window) => window.ids.length <= plan.maxLength)).toBe(true);
    // Every token is read, and consecutive windows share exactly the overlap.
    expect(new Set(windows.flatMap((window) => window.ids.slice(1, -1)))).toEqual(new Set(ids(15)));
  });

  it('reads with no overlap when told, and refuses plans without room', () => {
    expect(tokenWindows(ids(12), ROBERTA, { maxLength: 8, overlap: 0 }).map((window) => window.start)).toEqual([0, 6]);
    expect(() => tokenWindows(ids(3), ROBERTA, { maxLength: 2, overlap: 0 })).toThrow(/leaves no room for text/);
    expect(() => tokenWindows(ids(3), ROBERTA, { maxLength: 8, overlap: 6 })).toThrow(/overlap \(6\)/);
    expect(() => tokenWindows(ids(3), ROBERTA, { maxLength: 8, overlap: 1.5 })).toThrow(/overlap/);
  });
});
