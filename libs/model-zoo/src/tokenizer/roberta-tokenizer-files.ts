import { jsonFile, type TextFile } from '../models/model-artifacts';
import { byteLevelAlphabet } from './clip-tokenizer-files';
import { ENGLISH_CORPUS } from './english-corpus';

/** RoBERTa's special tokens and their ids; `<mask>` is the last id of the vocabulary. */
export const ROBERTA_SPECIAL_TOKENS = { bos: '<s>', pad: '<pad>', eos: '</s>', unk: '<unk>', mask: '<mask>' } as const;
const LEADING_SPECIALS = [ROBERTA_SPECIAL_TOKENS.bos, ROBERTA_SPECIAL_TOKENS.pad, ROBERTA_SPECIAL_TOKENS.eos, ROBERTA_SPECIAL_TOKENS.unk];

/** GPT-2's pre-tokenizer regex (the ByteLevel pre-tokenizer's `use_regex`): contractions, words, numbers and punctuation with their leading space. */
export const GPT2_SPLIT_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** A piece of text as byte-level symbols: its UTF-8 bytes, each written as the alphabet's character for it. */
export function byteLevelSymbols(piece: string, alphabet: readonly string[] = byteLevelAlphabetByByte()): string[] {
  return [...new TextEncoder().encode(piece)].map((byte) => alphabet[byte]);
}

let byByte: string[] | undefined;

/** The byte-level alphabet indexed by byte value (byteLevelAlphabet lists the bytes that stand for themselves first). */
function byteLevelAlphabetByByte(): string[] {
  if (byByte) return byByte;
  const alphabet = byteLevelAlphabet();
  const direct = new Set(alphabet.filter((symbol) => symbol.charCodeAt(0) < 256).map((symbol) => symbol.charCodeAt(0)));
  const moved = alphabet.filter((symbol) => symbol.charCodeAt(0) >= 256);
  let next = 0;
  byByte = Array.from({ length: 256 }, (_, byte) => (direct.has(byte) ? String.fromCharCode(byte) : moved[next++]));
  return byByte;
}

export interface LearnedBpe {
  /** Token → id: the four leading specials, the 256 bytes, the merged tokens, then `<mask>`. */
  readonly vocab: Record<string, number>;
  /** In order of priority, as merges.txt lists them. */
  readonly merges: readonly [string, string][];
}

/**
 * Learns byte-level BPE merges from `corpus` as GPT-2's vocabulary was learned: the text split by
 * GPT-2's regex, each piece as byte symbols, then repeatedly the most frequent adjacent pair merged
 * (ties broken by the pair's text, so the result is the same everywhere) while a pair occurs at
 * least twice.
 */
export function learnByteLevelBpe(corpus: string): LearnedBpe {
  const counts = new Map<string, number>();
  for (const piece of corpus.match(GPT2_SPLIT_PATTERN) ?? []) {
    const symbols = byteLevelSymbols(piece).join('');
    counts.set(symbols, (counts.get(symbols) ?? 0) + 1);
  }
  const words = [...counts].map(([symbols, count]) => ({ symbols: [...symbols], count }));
  const merges: [string, string][] = [];
  for (;;) {
    const pairs = new Map<string, { pair: [string, string]; count: number }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        const entry = pairs.get(key) ?? { pair: [symbols[i], symbols[i + 1]] as [string, string], count: 0 };
        entry.count += count;
        pairs.set(key, entry);
      }
    }
    const best = [...pairs.entries()].reduce<[string, { pair: [string, string]; count: number }] | undefined>((top, candidate) => {
      if (!top) return candidate;
      if (candidate[1].count !== top[1].count) return candidate[1].count > top[1].count ? candidate : top;
      return candidate[0] < top[0] ? candidate : top;
    }, undefined);
    if (!best || best[1].count < 2) break;
    const [left, right] = best[1].pair;
    merges.push([left, right]);
    for (const word of words) {
      for (let i = 0; i + 1 < word.symbols.length; i++) {
        if (word.symbols[i] === left && word.symbols[i + 1] === right) word.symbols.splice(i, 2, left + right);
      }
    }
  }
  const tokens = [...new Set([...LEADING_SPECIALS, ...byteLevelAlphabet(), ...merges.map(([left, right]) => left + right)])];
  tokens.push(ROBERTA_SPECIAL_TOKENS.mask);
  return { vocab: Object.fromEntries(tokens.map((token, id) => [token, id])), merges };
}

let learned: LearnedBpe | undefined;

/** The replica's vocabulary and merges, learned once from the embedded English corpus. */
export function robertaBpe(): LearnedBpe {
  learned ??= learnByteLevelBpe(ENGLISH_CORPUS);
  return learned;
}

/**
 * The Hugging Face `tokenizers` definition of a RoBERTa byte-level BPE tokenizer laid out as
 * roberta-base's tokenizer.json is (no normalizer, ByteLevel pre-tokenizer and decoder,
 * `<s> … </s>` around the text), with the replica's learned vocabulary.
 */
export function robertaTokenizerDefinition(): Record<string, unknown> {
  const { vocab, merges } = robertaBpe();
  const added = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    // As roberta-base: `<mask>` takes the space before it.
    lstrip: content === ROBERTA_SPECIAL_TOKENS.mask,
    rstrip: false,
    normalized: content !== ROBERTA_SPECIAL_TOKENS.mask,
    special: true,
  });
  const { bos, eos, mask } = ROBERTA_SPECIAL_TOKENS;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...LEADING_SPECIALS, mask].map(added),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: [eos, vocab[eos]], cls: [bos, vocab[bos]], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}

/** tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.json and merges.txt, as roberta-base's repository has them. */
export function robertaTokenizerFiles(modelMaxLength: number): TextFile[] {
  const definition = robertaTokenizerDefinition();
  const { vocab, merges } = robertaBpe();
  const { bos, pad, eos, unk, mask } = ROBERTA_SPECIAL_TOKENS;
  const specialTokens = { bos_token: bos, eos_token: eos, unk_token: unk, sep_token: eos, pad_token: pad, cls_token: bos, mask_token: mask };
  return [
    jsonFile('tokenizer.json', definition),
    jsonFile('tokenizer_config.json', {
      tokenizer_class: 'RobertaTokenizer',
      errors: 'replace',
      add_prefix_space: false,
      trim_offsets: true,
      clean_up_tokenization_spaces: true,
      model_max_length: modelMaxLength,
      ...specialTokens,
    }),
    jsonFile('special_tokens_map.json', specialTokens),
    jsonFile('vocab.json', vocab),
    { path: 'merges.txt', content: `#version: 0.2\n${merges.map(([left, right]) => `${left} ${right}`).join('\n')}\n` },
  ];
}
