import { readFile } from 'node:fs/promises';
import { TextTokenizer } from '../src';
import { TinyModels } from './support/tiny-models';

describe('TextTokenizer', () => {
  let models: TinyModels;
  const definition = async (repo: string) => ({
    tokenizer: JSON.parse(await readFile(models.path(repo, 'tokenizer.json'), 'utf8')),
    config: JSON.parse(await readFile(models.path(repo, 'tokenizer_config.json'), 'utf8')),
  });

  beforeAll(async () => {
    models = await TinyModels.generate();
  });
  afterAll(() => models.remove());

  describe('with all-MiniLM-L6-v2’s WordPiece tokenizer', () => {
    let tokenizer: TextTokenizer;
    beforeAll(async () => {
      tokenizer = new TextTokenizer(await definition(TinyModels.miniLm.repo), 256);
    });

    it('encodes with the model’s own vocabulary and special tokens, without padding', () => {
      expect(tokenizer.encode('Hello world')).toEqual({ ids: [101, 7592, 2088, 102], typeIds: [0, 0, 0, 0], truncated: false });
      expect(tokenizer.padId).toBe(0);
    });

    it('encodes a large request in its thread exactly as on the event loop, which stays responsive meanwhile', async () => {
      const texts = Array.from({ length: 1024 }, (_, i) => `Request text ${i}: the quick brown fox jumps over the lazy dog. `.repeat(6));
      const inline = texts.map((text) => tokenizer.encode(text));
      let ticks = 0;
      const ticker = setInterval(() => (ticks += 1), 1);
      const started = performance.now();
      const threaded = await tokenizer.encodeAll(texts);
      const elapsed = performance.now() - started;
      clearInterval(ticker);
      expect(threaded).toEqual(inline);
      // On the event loop no timer could fire until the whole request was tokenized.
      expect(ticks).toBeGreaterThan(Math.min(5, elapsed / 20));
      expect(await tokenizer.encodeAll(['Hello world'])).toEqual([tokenizer.encode('Hello world')]);
      await tokenizer.close();
    });

    it('cuts a long text to the maximum length and keeps [SEP] at its end', () => {
      const [, word] = tokenizer.encode('word').ids;
      const encoded = tokenizer.encode('word '.repeat(300));
      expect(encoded.ids).toHaveLength(256);
      expect(encoded.ids[0]).toBe(101);
      expect(encoded.ids[255]).toBe(102);
      expect(encoded.ids.slice(1, 255).every((id) => id === word)).toBe(true);
      expect(encoded.truncated).toBe(true);
    });

    it('keeps a text of exactly the maximum length whole', () => {
      const encoded = tokenizer.encode('word '.repeat(254));
      expect(encoded.ids).toHaveLength(256);
      expect(encoded.truncated).toBe(false);
    });

    it('refuses a maximum length that leaves no room for text', async () => {
      const miniLm = await definition(TinyModels.miniLm.repo);
      expect(() => new TextTokenizer(miniLm, 2)).toThrow(RangeError);
    });
  });

  describe('with CLIP’s byte-level BPE tokenizer', () => {
    let tokenizer: TextTokenizer;
    beforeAll(async () => {
      tokenizer = new TextTokenizer(await definition(TinyModels.clip.repo), 77);
    });

    it('puts start and end of text around the words and pads with end of text', () => {
      const { ids } = tokenizer.encode('A photo of a CAT');
      expect(ids[0]).toBe(49406);
      expect(ids.at(-1)).toBe(49407);
      expect(ids).toHaveLength(7);
      expect(tokenizer.padId).toBe(49407);
    });

    it('cuts at 77 tokens, the end-of-text token last', () => {
      const encoded = tokenizer.encode('cat '.repeat(100));
      expect(encoded.ids).toHaveLength(77);
      expect(encoded.ids[76]).toBe(49407);
      expect(encoded.truncated).toBe(true);
    });
  });
});
