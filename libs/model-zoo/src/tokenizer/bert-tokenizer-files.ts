import { jsonFile, type TextFile } from '../models/model-artifacts';
import { BERT_SPECIAL_TOKENS, loadBertVocabulary } from './bert-vocabulary';

export interface BertTokenizerOptions {
  /** Longest encoding the tokenizer produces; longer input is cut. */
  readonly truncationLength: number;
  /** Pad every encoding to `truncationLength` (all-MiniLM-L6-v2's tokenizer.json does). */
  readonly padToTruncationLength: boolean;
  /** `model_max_length` of tokenizer_config.json. */
  readonly modelMaxLength: number;
}

/**
 * The Hugging Face `tokenizers` definition of an uncased BERT WordPiece tokenizer, laid out as
 * sentence-transformers/all-MiniLM-L6-v2's tokenizer.json is.
 */
export function bertTokenizerDefinition(options: BertTokenizerOptions): Record<string, unknown> {
  const vocabulary = loadBertVocabulary();
  const idOf = (token: string): number => vocabulary.indexOf(token);
  const { pad, unk, cls, sep, mask } = BERT_SPECIAL_TOKENS;
  const special = (token: string, typeId: number) => ({ SpecialToken: { id: token, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: options.truncationLength, strategy: 'LongestFirst', stride: 0 },
    padding: options.padToTruncationLength
      ? { strategy: { Fixed: options.truncationLength }, direction: 'Right', pad_to_multiple_of: null, pad_id: idOf(pad), pad_type_id: 0, pad_token: pad }
      : null,
    added_tokens: [pad, unk, cls, sep, mask].map((content) => ({
      id: idOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
      pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
      special_tokens: {
        [cls]: { id: cls, ids: [idOf(cls)], tokens: [cls] },
        [sep]: { id: sep, ids: [idOf(sep)], tokens: [sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocabulary.map((token, id) => [token, id])),
    },
  };
}

/** tokenizer.json, tokenizer_config.json, special_tokens_map.json and vocab.txt. */
export function bertTokenizerFiles(options: BertTokenizerOptions): TextFile[] {
  const { pad, unk, cls, sep, mask } = BERT_SPECIAL_TOKENS;
  const specialTokens = { cls_token: cls, mask_token: mask, pad_token: pad, sep_token: sep, unk_token: unk };
  return [
    jsonFile('tokenizer.json', bertTokenizerDefinition(options)),
    jsonFile('tokenizer_config.json', {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      do_basic_tokenize: true,
      tokenize_chinese_chars: true,
      strip_accents: null,
      clean_up_tokenization_spaces: true,
      model_max_length: options.modelMaxLength,
      ...specialTokens,
    }),
    jsonFile('special_tokens_map.json', specialTokens),
    { path: 'vocab.txt', content: `${loadBertVocabulary().join('\n')}\n` },
  ];
}
