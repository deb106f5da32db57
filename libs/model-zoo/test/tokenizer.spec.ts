import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { BERT_VOCAB_SIZE, loadBertVocabulary } from '../src';
import { TinyZoo } from './support/tiny-zoo';

describe('BERT WordPiece tokenizer files', () => {
  let zoo: TinyZoo;
  let tokenizer: Tokenizer;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['miniLm']);
    const read = async (file: string) => JSON.parse(await readFile(zoo.path('miniLm', file), 'utf8'));
    tokenizer = new Tokenizer(await read('tokenizer.json'), await read('tokenizer_config.json'));
  });
  afterAll(() => zoo.remove());

  it('encodes a sentence to the ids of bert-base-uncased, with [CLS] and [SEP] around it', () => {
    expect(tokenizer.encode('hello world').ids).toEqual([101, 7592, 2088, 102]);
  });

  it('lowercases, strips accents, splits punctuation and words into pieces', () => {
    expect(tokenizer.encode('Héllo, WORLD!').ids).toEqual([101, 7592, 1010, 2088, 999, 102]);
    expect(tokenizer.tokenize('i like strawberries')).toEqual(['i', 'like', 'straw', '##berries']);
    expect(tokenizer.encode('i like strawberries').ids).toEqual([101, 1045, 2066, 13137, 20968, 102]);
  });

  it('marks the second sentence of a pair with token type 1', () => {
    const encoding = tokenizer.encode('hello', { text_pair: 'world', return_token_type_ids: true });
    expect(encoding.ids).toEqual([101, 7592, 102, 2088, 102]);
    expect(encoding.token_type_ids).toEqual([0, 0, 0, 1, 1]);
  });

  it('maps a word it cannot piece together to [UNK] and decodes pieces back to words', () => {
    expect(tokenizer.encode('hello \u{1F9EA}').ids).toEqual([101, 7592, 100, 102]);
    expect(tokenizer.decode([101, 1045, 2066, 13137, 20968, 102], { skip_special_tokens: true })).toBe('i like strawberries');
  });

  it('carries all-MiniLM-L6-v2 truncation and padding to 128 tokens, and the full vocabulary as vocab.txt', async () => {
    const definition = JSON.parse(await readFile(zoo.path('miniLm', 'tokenizer.json'), 'utf8'));
    expect(definition.truncation).toMatchObject({ max_length: 128, strategy: 'LongestFirst' });
    expect(definition.padding).toMatchObject({ strategy: { Fixed: 128 }, pad_id: 0, pad_token: '[PAD]' });
    const lines = (await readFile(zoo.path('miniLm', 'vocab.txt'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(BERT_VOCAB_SIZE);
    expect([lines[0], lines[1], lines[100], lines[101], lines[102], lines[103], lines[29612]]).toEqual([
      '[PAD]',
      '[unused0]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
      '##!',
    ]);
    expect(new Set(loadBertVocabulary()).size).toBe(BERT_VOCAB_SIZE);
  });
});
