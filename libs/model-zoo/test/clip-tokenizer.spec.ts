import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { byteLevelAlphabet, CLIP_SPECIAL_TOKENS } from '../src';
import { floats, maxAbsDifference, TinyZoo } from './support/tiny-zoo';

const START = CLIP_SPECIAL_TOKENS.startOfText.id;
const END = CLIP_SPECIAL_TOKENS.endOfText.id;

describe('CLIP byte-level BPE tokenizer files (small test vocabulary)', () => {
  let zoo: TinyZoo;
  let tokenizer: Tokenizer;
  let definition: { model: { vocab: Record<string, number>; merges: string[] } };

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['clip']);
    const read = async (file: string) => JSON.parse(await readFile(zoo.path('clip', file), 'utf8'));
    definition = await read('tokenizer.json');
    tokenizer = new Tokenizer(definition, await read('tokenizer_config.json'));
  });
  afterAll(() => zoo.remove());

  it('maps every byte to one printable symbol, as GPT-2 and CLIP do', () => {
    const alphabet = byteLevelAlphabet();
    expect(alphabet).toHaveLength(256);
    expect(new Set(alphabet).size).toBe(256);
    expect(alphabet.slice(0, 3)).toEqual(['!', '"', '#']);
    // The 188 printable bytes stand for themselves; the others move to U+0100 on, the space byte (32) to U+0120 ("Ġ").
    expect(alphabet[188]).toBe('Ā');
    expect(alphabet[188 + 32]).toBe('Ġ');
  });

  it('puts start and end of text (49406, 49407) around the text, lowercased, one token a known word', () => {
    const encoding = tokenizer.encode('A  Photo of a CAT');
    expect(encoding.tokens).toEqual(['<|startoftext|>', 'a</w>', 'photo</w>', 'of</w>', 'a</w>', 'cat</w>', '<|endoftext|>']);
    expect(encoding.ids[0]).toBe(START);
    expect(encoding.ids.at(-1)).toBe(END);
    expect(Math.max(...encoding.ids.slice(1, -1))).toBeLessThan(START);
  });

  it('spells unknown words with smaller pieces and bytes, punctuation and digits apart', () => {
    expect(tokenizer.tokenize('catalogue 42!')).toEqual(['cat', 'a', 'l', 'o', 'g', 'u', 'e</w>', '4</w>', '2</w>', '!</w>']);
    expect(tokenizer.encode('café').tokens.slice(1, -1)).toEqual(['ca', 'f', 'Ã', '©</w>']);
  });

  it('writes vocab.json and merges.txt matching tokenizer.json', async () => {
    expect(JSON.parse(await readFile(zoo.path('clip', 'vocab.json'), 'utf8'))).toEqual(definition.model.vocab);
    const merges = (await readFile(zoo.path('clip', 'merges.txt'), 'utf8')).trimEnd().split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(merges.slice(1)).toEqual(definition.model.merges);
  });

  it('feeds the tiny text tower: padding with end of text after the text changes nothing', async () => {
    const session = await zoo.session('clip', 'onnx/text_model.onnx');
    const ids = tokenizer.encode('a photo of a dog').ids;
    const run = (row: number[]) => session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(row, BigInt), [1, row.length]) });
    const padded = await run([...ids, END, END, END]);
    const bare = await run(ids);
    expect(maxAbsDifference(floats(padded.text_embeds), floats(bare.text_embeds))).toBeLessThan(1e-5);
    await session.release();
  });
});
