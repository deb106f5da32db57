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
