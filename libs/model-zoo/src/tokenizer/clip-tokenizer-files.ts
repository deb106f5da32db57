import { jsonFile, type TextFile } from '../models/model-artifacts';

export const CLIP_SPECIAL_TOKENS = {
  startOfText: { content: '<|startoftext|>', id: 49406 },
  endOfText: { content: '<|endoftext|>', id: 49407 },
} as const;

const END_OF_WORD = '</w>';

/**
 * Words the test vocabulary holds as single tokens; anything else falls apart into shorter pieces
 * or single bytes, which a byte-level vocabulary can always encode.
 */
const VOCABULARY_WORDS = [
  'a',
  'an',
  'the',
  'of',
  'on',
  'in',
  'and',
  'with',
  'photo',
  'picture',
  'cat',
  'cats',
  'dog',
  'dogs',
  'red',
  'blue',
  'black',
  'white',
  'green',
  'leather',
  'cotton',
  'shoes',
  'jacket',
  'bag',
  'sky',
  'tree',
];

/**
 * GPT-2's reversible map from bytes to printable characters, which byte-level BPE vocabularies
 * (CLIP's included) are written in: printable Latin-1 bytes stand for themselves, the others are
 * moved to U+0100 and up. In the order of the map, as CLIP's vocabulary lists them.
 */
export function byteLevelAlphabet(): string[] {
  const printable = (from: string, to: string) => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => from.charCodeAt(0) + i);
  const direct = [...printable('!', '~'), ...printable('¡', '¬'), ...printable('®', 'ÿ')];
  const directSet = new Set(direct);
  const moved = Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => !directSet.has(byte));
  return [...direct.map((byte) => String.fromCharCode(byte)), ...moved.map((_, i) => String.fromCharCode(256 + i))];
}

/**
 * Learns BPE merges from the words as CLIP's tokenizer was trained: repeatedly merge the most
 * frequent adjacent pair (the first seen on a tie) until every word is one symbol, so each word
 * encodes to a single token.
 */
function learnMerges(words: readonly string[]): [string, string][] {
  const segmented = words.map((word) => {
    const symbols = [...word];
    symbols[symbols.length - 1] += END_OF_WORD;
    return symbols;
  });
  const merges: [string, string][] = [];
  for (;;) {
    const counts = new Map<string, { pair: [string, string]; count: number }>();
    for (const symbols of segmented) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        const entry = counts.get(key) ?? { pair: [symbols[i], symbols[i + 1]] as [string, string], count: 0 };
        entry.count += 1;
        counts.set(key, entry);
      }
    }
    if (counts.size === 0) return merges;
    const best = [...counts.values()].reduce((top, entry) => (entry.count > top.count ? entry : top));
    merges.push(best.pair);
    const [left, right] = best.pair;
    for (const symbols of segmented) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, left + right);
      }
    }
  }
}

/**
 * The Hugging Face `tokenizers` definition of a byte-level BPE tokenizer laid out as
 * openai/clip-vit-base-patch32's tokenizer.json is (NFC + whitespace + lowercase normalizer, CLIP's
 * word-splitting regex, byte-level pre-tokenizer, `</w>` end-of-word suffix, start and end of text
 * around the sequence), with a small vocabulary: the 512 byte tokens, the merges spelling a few
 * dozen words, and the special tokens at their real ids (the text model pools at the highest id).
 */
export function clipTokenizerDefinition(): Record<string, unknown> {
  const alphabet = byteLevelAlphabet();
  const merges = learnMerges(VOCABULARY_WORDS);
  const tokens = [...alphabet, ...alphabet.map((symbol) => symbol + END_OF_WORD), ...merges.map(([left, right]) => left + right)];
  const { startOfText, endOfText } = CLIP_SPECIAL_TOKENS;
  const vocab: Record<string, number> = Object.fromEntries(tokens.map((token, id) => [token, id]));
  vocab[startOfText.content] = startOfText.id;
  vocab[endOfText.content] = endOfText.id;
  const added = (token: { content: string; id: number }) => ({
    id: token.id,
    content: token.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(startOfText), added(endOfText)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [endOfText.content, endOfText.id],
      cls: [startOfText.content, startOfText.id],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: endOfText.content,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}

export interface ClipTokenizerFileOptions {
  /** The folder the files go in ('' for the repository's top, `tokenizer_2/` for SDXL's second tokenizer). */
  readonly folder?: string;
  /** End of text (CLIP, SD 1.x, SDXL's first tokenizer) or `!`, id 0 (SD 2.x, sd-turbo, SDXL's second tokenizer). */
  readonly padToken?: string;
  /** Diffusers repositories have no tokenizer.json, only the slow tokenizer's files. */
  readonly withTokenizerJson?: boolean;
}

/** tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.json and merges.txt, as CLIP's repository has them. */
export function clipTokenizerFiles(modelMaxLength: number, options: ClipTokenizerFileOptions = {}): TextFile[] {
  const { folder = '', padToken = CLIP_SPECIAL_TOKENS.endOfText.content, withTokenizerJson = true } = options;
  const definition = clipTokenizerDefinition();
  const model = definition.model as { vocab: Record<string, number>; merges: string[] };
  const { startOfText, endOfText } = CLIP_SPECIAL_TOKENS;
  const specialTokens = { bos_token: startOfText.content, eos_token: endOfText.content, pad_token: padToken, unk_token: endOfText.content };
  const files = [
    jsonFile('tokenizer.json', definition),
    jsonFile('tokenizer_config.json', {
      tokenizer_class: 'CLIPTokenizer',
      do_lower_case: true,
      errors: 'replace',
      add_prefix_space: false,
      clean_up_tokenization_spaces: true,
      model_max_length: modelMaxLength,
      ...specialTokens,
    }),
    jsonFile('special_tokens_map.json', specialTokens),
    jsonFile('vocab.json', model.vocab),
    { path: 'merges.txt', content: `#version: 0.2\n${model.merges.join('\n')}\n` },
  ];
  return files.filter((file) => withTokenizerJson || file.path !== 'tokenizer.json').map((file) => ({ ...file, path: `${folder}${file.path}` }));
}
