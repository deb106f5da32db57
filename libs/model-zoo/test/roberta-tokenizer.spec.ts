import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { TinyZoo } from './support/tiny-zoo';

/** GPT-2's bytes_to_unicode, written out from its definition in openai/gpt-2 encoder.py. */
function bytesToUnicode(): Map<number, string> {
  const bytes: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = [...bytes];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  return new Map(bytes.map((b, i) => [b, String.fromCharCode(chars[i])]));
}

/** GPT-2's encoder.py: regex split, bytes to unicode, then the lowest-ranked merge first until none applies. */
class ReferenceByteLevelBpe {
  private readonly ranks: Map<string, number>;
  private readonly byteChars = bytesToUnicode();
  private static readonly PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

  constructor(
    private readonly vocab: Record<string, number>,
    mergesTxt: string,
  ) {
    const lines = mergesTxt.split('\n').filter((line) => line.length > 0 && !line.startsWith('#version'));
    this.ranks = new Map(lines.map((line, rank) => [line, rank]));
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of text.match(ReferenceByteLevelBpe.PATTERN) ?? []) {
      const word = [...Buffer.from(piece, 'utf8')].map((byte) => this.byteChars.get(byte)!);
      for (const token of this.bpe(word)) ids.push(this.vocab[token]);
    }
    return ids;
  }

  private bpe(word: string[]): string[] {
    for (;;) {
      let best: number | undefined;
      let at = -1;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && (best === undefined || rank < best)) [best, at] = [rank, i];
      }
      if (best === undefined) return word;
      const [first, second] = [word[at], word[at + 1]];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i]);
      }
      word = merged;
    }
  }
}

const SAMPLES = [
  'The quick brown fox jumps over the lazy dog.',
  'Hello world',
  ' leading space, trailing space and  two  spaces ',
  "Don't worry, it's only a test; we'll see.",
  'Line one\nline two\n\n\tindented',
  'In 2024 the model scored 93.5% on 12 benchmarks.',
  'Crème brûlée, naïve façade, 東京 and an emoji 🧪!',
  'unmergeablewordsqzxj',
];

describe('RoBERTa byte-level BPE tokenizer files (text detector)', () => {
  let zoo: TinyZoo;
  let tokenizer: Tokenizer;
  let reference: ReferenceByteLevelBpe;
  let definition: { added_tokens: { id: number; content: string }[]; model: { vocab: Record<string, number>; merges: string[] } };
  let vocab: Record<string, number>;
  let merges: string;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['textDetector']);
    const read = (file: string) => readFile(zoo.path('textDetector', file), 'utf8');
    definition = JSON.parse(await read('tokenizer.json'));
    tokenizer = new Tokenizer(definition, JSON.parse(await read('tokenizer_config.json')));
    vocab = JSON.parse(await read('vocab.json'));
    merges = await read('merges.txt');
    reference = new ReferenceByteLevelBpe(vocab, merges);
  });
  afterAll(() => zoo.remove());

  it.each(SAMPLES)('encodes %j as an independent GPT-2 byte-level BPE does, between <s> and </s>', (text) => {
    const bare = reference.encode(text);
    expect(tokenizer.encode(text, { add_special_tokens: false }).ids).toEqual(bare);
    expect(tokenizer.encode(text).ids).toEqual([0, ...bare, 2]);
    expect(tokenizer.decode(tokenizer.encode(text).ids, { skip_special_tokens: true })).toBe(text);
  });

  it('has learned merges: common words of English are one token each, with their leading space', () => {
    expect(tokenizer.tokenize(' the text')).toEqual(['Ġthe', 'Ġtext']);
    expect(tokenizer.encode('The detector reads the text', { add_special_tokens: false }).ids.length).toBeLessThan(8);
    expect(merges.split('\n')[0]).toBe('#version: 0.2');
  });

  it("has RoBERTa's special tokens: <s> 0, <pad> 1, </s> 2, <unk> 3, <mask> the last id", async () => {
    const ids = Object.values(vocab);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBe(ids.length - 1);
    expect(definition.added_tokens.map(({ id, content }) => [content, id])).toEqual([
      ['<s>', 0],
      ['<pad>', 1],
      ['</s>', 2],
      ['<unk>', 3],
      ['<mask>', ids.length - 1],
    ]);
    expect(definition.model.vocab).toEqual(vocab);
    expect(['#version: 0.2', ...definition.model.merges, '']).toEqual(merges.split('\n'));
    const config = JSON.parse(await readFile(zoo.path('textDetector', 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ tokenizer_class: 'RobertaTokenizer', model_max_length: 512, pad_token: '<pad>', bos_token: '<s>', eos_token: '</s>' });
    expect(tokenizer.encode('a <mask> here').ids).toContain(ids.length - 1);
  });
});
