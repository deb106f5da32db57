import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
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

/** Texts of a request above this many characters in all are tokenized in a thread: that takes over a few ms. */
const THREAD_THRESHOLD_CHARS = 16_384;

// A worker thread cannot load TypeScript: where this module runs from its source (under Jest), the
// thread runs the built file, which `npm test` builds first.
const THREAD_ENTRY = __filename.endsWith('.ts') ? resolve(__dirname, '../../dist/text/tokenizer-thread.js') : join(__dirname, 'tokenizer-thread.js');

/**
 * A model's own tokenizer (its tokenizer.json, run by Hugging Face's tokenizers.js) with
 * truncation at the model's maximum length, done as the Rust library does it: the text's tokens
 * are cut and the special tokens around them kept. Tokenizing is plain JavaScript, about a tenth
 * of a millisecond per sentence: `encodeAll` moves large requests (a thousand texts take over
 * 100 ms) to a thread of its own, so the event loop stays free.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  /** Special tokens the post-processor puts after the text ([SEP], <|endoftext|>). */
  private readonly trailingSpecials: number;
  /** The id batches are padded with. */
  readonly padId: number;

  private thread?: TokenizerThread;

  constructor(
    private readonly definition: TokenizerDefinition,
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

  /** Encodes the texts of one request, off the event loop when they are long. */
  async encodeAll(texts: readonly string[]): Promise<TokenizedText[]> {
    const chars = texts.reduce((sum, text) => sum + text.length, 0);
    if (chars <= THREAD_THRESHOLD_CHARS) return texts.map((text) => this.encode(text));
    this.thread ??= new TokenizerThread(this.definition, this.maxLength);
    return this.thread.encode(texts);
  }

  /** Ends the tokenizer's thread, if it started one. */
  async close(): Promise<void> {
    await this.thread?.close();
    this.thread = undefined;
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

export interface TokenizerThreadData {
  definition: TokenizerDefinition;
  maxLength: number;
}

type TokenizerReply = { id: number; encoded: TokenizedText[] } | { id: number; error: string };

/** One worker thread with a copy of the tokenizer; it keeps the process alive only while it has work. */
class TokenizerThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (encoded: TokenizedText[]) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(definition: TokenizerDefinition, maxLength: number) {
    this.worker = new Worker(THREAD_ENTRY, { workerData: { definition, maxLength } satisfies TokenizerThreadData, name: 'tokenizer' });
    this.worker.on('message', (reply: TokenizerReply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in reply) pending?.reject(new Error(reply.error));
      else pending?.resolve(reply.encoded);
    });
    this.worker.on('error', () => undefined);
    this.worker.on('exit', (code) => this.failPending(new Error(`The tokenizer thread exited with code ${code}`)));
    this.worker.unref();
  }

  encode(texts: readonly string[]): Promise<TokenizedText[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, texts });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    this.failPending(new Error('The tokenizer is closed'));
  }

  private failPending(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
