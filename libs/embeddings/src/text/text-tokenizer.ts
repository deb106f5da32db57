import { Tokenizer } from '@huggingface/tokenizers';

/** One text as the model reads it. */
export interface TokenizedText {
  /** Token ids, the model's special tokens included; at most the tokenizer's maxLength of them. */
  readonly ids: readonly number[];
  /** Segment ids: all 0 for a single text. */
  readonly typeIds: readonly number[];
  /** Whether tokens past maxLength were cut off. */
  readonly truncated: boolean;
}

type TokenSetting = string | { content: string } | null | undefined;

export interface TokenizerDefinition {
  /** The parsed tokenizer.json. */
  readonly tokenizer: Record<string, unknown>;
  /** The parsed tokenizer_config.json. */
  readonly config: Record<string, unknown>;
}

/**
 * A model's own tokenizer (its tokenizer.json, run by Hugging Face's tokenizers.js) with
 * truncation at the model's maximum length, done as the Rust library does it: the text's tokens
 * are cut and the special tokens around them kept.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  /** Special tokens the post-processor puts after the text ([SEP], <|endoftext|>). */
  private readonly trailingSpecials: number;
  /** The id batches are padded with. */
  readonly padId: number;

  constructor(
    definition: TokenizerDefinition,
    /** Longest encoding, special tokens included. */
    readonly maxLength: number,
  ) {
    this.tokenizer = new Tokenizer(definition.tokenizer, definition.config);
    const withSpecials: readonly number[] = this.tokenizer.encode('a').ids;
    const bare: readonly number[] = this.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const leading = withSpecials.findIndex((_, start) => bare.every((id, offset) => withSpecials[start + offset] === id));
    this.trailingSpecials = withSpecials.length - leading - bare.length;
    if (leading < 0 || maxLength <= leading + this.trailingSpecials) {
      throw new RangeError(`A maximum length of ${maxLength} tokens leaves no room for text between the special tokens`);
    }
    this.padId = this.padIdOf(definition);
  }

  encode(text: string): TokenizedText {
    const encoding: { ids: number[]; token_type_ids?: number[] } = this.tokenizer.encode(text, { return_token_type_ids: true });
    const typeIds = encoding.token_type_ids ?? new Array<number>(encoding.ids.length).fill(0);
    if (encoding.ids.length <= this.maxLength) return { ids: encoding.ids, typeIds, truncated: false };
    const cut = <T>(values: readonly T[]) => [
      ...values.slice(0, this.maxLength - this.trailingSpecials),
      ...values.slice(values.length - this.trailingSpecials),
    ];
    return { ids: cut(encoding.ids), typeIds: cut(typeIds), truncated: true };
  }

  /** tokenizer_config.json's pad token, else tokenizer.json's padding id, else 0. */
  private padIdOf({ tokenizer, config }: TokenizerDefinition): number {
    const padToken = config.pad_token as TokenSetting;
    const name = typeof padToken === 'string' ? padToken : padToken?.content;
    const fromConfig = name === undefined ? undefined : this.tokenizer.token_to_id(name);
    const padding = tokenizer.padding as { pad_id?: number } | null | undefined;
    return fromConfig ?? padding?.pad_id ?? 0;
  }
}
