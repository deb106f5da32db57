import { DiffusionReplicas, PLAYGROUND, SD_TURBO } from './support/diffusion-replicas';

const START = 49406;
const END = 49407;

/*
 * Ids worked out by hand on the replica's vocabulary (the real CLIP vocabulary is not available
 * offline): the 256 byte symbols come first in GPT-2's order ('!' … '~' are bytes 33…126 at ids
 * 0…93), then the same symbols with `</w>` (id + 256), then one token per learned merge.
 */
const byteId = (char: string) => char.charCodeAt(0) - 33;
const endOfWordId = (char: string) => 256 + byteId(char);

describe('CLIP tokenizer from vocab.json and merges.txt', () => {
  let replicas: DiffusionReplicas;
  const tokenizerOf = (repo: string, folder: string) => replicas.tokenizer(repo, folder);

  beforeAll(async () => {
    replicas = await DiffusionReplicas.generate();
  });
  afterAll(() => replicas.remove());

  it('lowercases, cleans whitespace, splits punctuation and spells unknown words with bytes and `</w>`', async () => {
    const tokenizer = await tokenizerOf(SD_TURBO.repo, 'tokenizer');
    const { ids, truncated } = tokenizer.encode('  A \n zq!');
    // "a" → a</w>; "zq" (no merge) → z, q</w>; "!" → !</w>.
    expect(Array.from(ids.subarray(0, 6))).toEqual([START, endOfWordId('a'), byteId('z'), endOfWordId('q'), endOfWordId('!'), END]);
    expect(endOfWordId('a')).toBe(320);
    expect(truncated).toBe(false);
  });

  it('pads to 77 with the tokenizer’s own pad token: `!` (0) for sd-turbo and SDXL’s second tokenizer, end of text for SDXL’s first', async () => {
    const [turbo, first, second] = await Promise.all([
      tokenizerOf(SD_TURBO.repo, 'tokenizer'),
      tokenizerOf(PLAYGROUND.repo, 'tokenizer'),
      tokenizerOf(PLAYGROUND.repo, 'tokenizer_2'),
    ]);
    expect([turbo.padId, first.padId, second.padId]).toEqual([0, END, 0]);
    const padded = first.encode('a cat').ids;
    expect(padded).toHaveLength(77);
    expect(Array.from(padded.subarray(3))).toEqual(new Array(74).fill(END));
    expect(Array.from(second.encode('a cat').ids.subarray(4))).toEqual(new Array(73).fill(0));
    expect(Array.from(second.encode('a cat').ids.subarray(0, 4))).toEqual(Array.from(padded.subarray(0, 4)));
  });

  it('truncates to 77 ids keeping end of text, and says so', async () => {
    const tokenizer = await tokenizerOf(SD_TURBO.repo, 'tokenizer');
    const { ids, truncated } = tokenizer.encode(new Array(100).fill('a').join(' '));
    expect(truncated).toBe(true);
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(START);
    expect(ids[76]).toBe(END);
    expect(Array.from(ids.subarray(1, 76)).every((id) => id === 320)).toBe(true);
    expect(tokenizer.encode(new Array(75).fill('a').join(' ')).truncated).toBe(false);
  });
});
