import { TextTokenizer } from '@switchyard/embeddings';
import { DiffusionModelError } from './diffusion-errors';

/** The files of one CLIP tokenizer folder as diffusers repositories hold it (they have no tokenizer.json). */
export const CLIP_TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

const START_OF_TEXT = '<|startoftext|>';
const END_OF_TEXT = '<|endoftext|>';
const END_OF_WORD = '</w>';

/** A prompt as the text encoder reads it: exactly `length` ids, padded with the tokenizer's pad token. */
export interface PromptTokens {
  readonly ids: Int32Array;
  readonly truncated: boolean;
}

type JsonObject = Record<string, unknown>;

function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}

/**
 * The tokenizer.json openai/clip-vit-* repositories ship, rebuilt around a vocab.json and
 * merges.txt: NFC, whitespace runs to one space, lowercase; CLIP's word regex, then byte-level
 * symbols without GPT-2's regex; BPE with the `</w>` end-of-word suffix; start and end of text
 * around the text.
 */
export function clipTokenizerJson(vocab: Readonly<Record<string, number>>, merges: readonly string[]): JsonObject {
  const special = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(START_OF_TEXT), special(END_OF_TEXT)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [END_OF_TEXT, vocab[END_OF_TEXT]],
      cls: [START_OF_TEXT, vocab[START_OF_TEXT]],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END_OF_TEXT,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
}

export interface ClipTokenizerFiles {
  readonly vocab: JsonObject;
  /** merges.txt as read. */
  readonly merges: string;
  readonly config: JsonObject;
  readonly specialTokens: JsonObject;
}

/** CLIP's BPE tokenizer from a diffusers tokenizer folder, giving fixed-length id rows (77 for every Stable Diffusion). */
export class ClipTokenizer {
  constructor(
    /** Every row's length: the tokenizer's model_max_length. */
    readonly length: number,
    private readonly tokenizer: TextTokenizer,
    readonly padId: number,
  ) {}

  /** `folder` names the files in errors; the pad token comes from special_tokens_map.json, else tokenizer_config.json. */
  static fromFiles(repo: string, folder: string, files: ClipTokenizerFiles, length: number): ClipTokenizer {
    const vocab = files.vocab as Record<string, number>;
    for (const token of [START_OF_TEXT, END_OF_TEXT]) {
      if (!Number.isInteger(vocab[token])) throw new DiffusionModelError(repo, `${folder}/vocab.json`, `has no "${token}"`);
    }
    const merges = files.merges.split(/\r?\n/).filter((line, index) => line.trim() !== '' && !(index === 0 && line.startsWith('#version')));
    const padToken = tokenName(files.specialTokens.pad_token) ?? tokenName(files.config.pad_token) ?? END_OF_TEXT;
    const padId = vocab[padToken];
    if (!Number.isInteger(padId)) throw new DiffusionModelError(repo, `${folder}/special_tokens_map.json`, `its pad token "${padToken}" is not in vocab.json`);
    const tokenizer = new TextTokenizer({ tokenizer: clipTokenizerJson(vocab, merges), config: files.config }, length);
    return new ClipTokenizer(length, tokenizer, padId);
  }

  encode(text: string): PromptTokens {
    const { ids, truncated } = this.tokenizer.encode(text);
    const row = new Int32Array(this.length).fill(this.padId);
    row.set(ids);
    return { ids: row, truncated };
  }
}
