import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { TextTokenizer } from '@switchyard/embeddings';
import {
  MicroBatcher,
  ModelSignatureMismatchError,
  runInPaddingGroups,
  type MicroBatcherStats,
  type ModelSession,
  type ModelSessions,
  type ModelStore,
} from '@switchyard/model-runtime';
import { aggregateWindows, softmax } from './detection-maths';
import { TextDetectorModelError, TooManyWindowsError } from './errors';
import type { TextModelEntry } from './model-registry';
import { loadTextModel, type TextModelSpec } from './text-model-files';
import { tokenWindows, type SpecialTokens } from './text-windows';

export interface TextDetectorOptions {
  /** At most this many windows per session run; 16 unless told. */
  readonly maxBatchSize?: number;
  /** How long the oldest queued window waits for its batch to fill; 2 ms unless told. */
  readonly batchWaitMs?: number;
  /** Windows waiting beyond this are refused (BatcherOverloadedError); 4096 unless told. */
  readonly maxQueuedWindows?: number;
  /** A text that reads in more windows is refused (TooManyWindowsError); 128 unless told. */
  readonly maxWindowsPerText?: number;
}

export const DEFAULT_TEXT_DETECTOR_OPTIONS: Required<TextDetectorOptions> = {
  maxBatchSize: 16,
  batchWaitMs: 2,
  maxQueuedWindows: 4096,
  maxWindowsPerText: 128,
};

export interface TextDetection {
  /** The text's class probabilities (by class index), its windows' token-weighted mean. */
  readonly probabilities: readonly number[];
  /** Text tokens, special tokens left out. */
  readonly tokens: number;
  readonly windows: number;
}

/** The token inputs a sequence classifier may take; the first two are required. */
const TOKEN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
type TokenInput = (typeof TOKEN_INPUTS)[number];
type IdType = 'int32' | 'int64';

/** How to feed one input of the session: its name, and the integer type its metadata declares. */
interface TokenFeed {
  readonly input: TokenInput;
  readonly type: IdType;
}

/**
 * One sequence classifier of the registry (an ONNX export with its config.json and tokenizer):
 * texts are tokenized without special tokens, cut into overlapping windows (`tokenWindows`), the
 * windows of all concurrent requests run together through one micro-batcher (padded with the pad
 * id, masked out), each window's logits go through a float64 softmax, and a text's probabilities
 * are its windows' token-weighted mean (`aggregateWindows`).
 */
export class TextDetector {
  private readonly batcher: MicroBatcher<readonly number[], number[]>;

  private constructor(
    readonly spec: TextModelSpec,
    readonly session: ModelSession,
    private readonly tokenizer: TextTokenizer,
    private readonly specials: SpecialTokens,
    private readonly feeds: readonly TokenFeed[],
    private readonly logits: string,
    private readonly options: Required<TextDetectorOptions>,
  ) {
    this.batcher = new MicroBatcher({
      name: spec.modelId,
      runBatch: (windows) =>
        runInPaddingGroups(
          windows,
          (ids) => ids.length,
          session.provider,
          (group) => this.classify(group),
        ),
      maxBatchSize: options.maxBatchSize,
      maxWaitMs: options.batchWaitMs,
      maxQueued: options.maxQueuedWindows,
      // Windows of similar length run together: a batch is padded to its longest.
      lookahead: options.maxBatchSize * 4,
    });
  }

  /** Reads the model's files, loads its graph, checks its inputs and outputs against them, and runs it once. */
  static async load(
    store: ModelStore,
    sessions: ModelSessions,
    modelId: string,
    entry: TextModelEntry,
    options: TextDetectorOptions = {},
  ): Promise<TextDetector> {
    const settings = { ...DEFAULT_TEXT_DETECTOR_OPTIONS, ...options };
    const model = await loadTextModel(store, modelId, entry);
    const session = await sessions.load(model.spec.files.onnx.path, { name: `${entry.repo}/${entry.file}` });
    const feeds = tokenFeedsOf(modelId, session);
    const logits = logitsOutputOf(session, feeds, Object.keys(model.spec.id2label).length);
    // No truncation: the detector reads every token, in windows.
    const tokenizer = new TextTokenizer({ tokenizer: model.tokenizer, config: model.tokenizerConfig }, Number.POSITIVE_INFINITY);
    const detector = new TextDetector(model.spec, session, tokenizer, model.specials, feeds, logits, settings);
    await detector.detect(['warm-up']);
    return detector;
  }

  /** Detects each text; windows are shared with concurrent calls' in batches. */
  async detect(texts: readonly string[], signal?: AbortSignal): Promise<TextDetection[]> {
    signal?.throwIfAborted();
    const { leading, trailing } = this.specials;
    const encoded = await this.tokenizer.encodeAll(texts);
    const plans = encoded.map(({ ids }, index) => {
      const textIds = ids.slice(leading.length, ids.length - trailing.length);
      const windows = tokenWindows(textIds, this.specials, this.spec);
      if (windows.length > this.options.maxWindowsPerText) throw new TooManyWindowsError(index, windows.length, this.options.maxWindowsPerText);
      return { tokens: textIds.length, windows };
    });
    const all = plans.flatMap(({ windows }) => windows.map((window) => ({ item: window.ids, cost: window.ids.length })));
    const probabilities = await this.batcher.submitAll(all, { signal });
    let next = 0;
    return plans.map(({ tokens, windows }) => {
      const read = windows.map((window) => ({ probabilities: probabilities[next++], textTokens: window.textTokens }));
      return { probabilities: aggregateWindows(read), tokens, windows: windows.length };
    });
  }

  stats(): MicroBatcherStats {
    return this.batcher.stats();
  }

  /** Runs the queued windows, then refuses new texts. */
  async close(): Promise<void> {
    await this.batcher.close();
    await this.tokenizer.close();
  }

  /** One session run: the windows padded to the longest with the pad id, masked out; a float64 softmax of each row. Batches run it once per padding group. */
  private async classify(windows: readonly (readonly number[])[]): Promise<number[][]> {
    const rows = windows.length;
    const length = Math.max(...windows.map((ids) => ids.length));
    const values: Record<TokenInput, number[]> = {
      input_ids: new Array<number>(rows * length).fill(this.tokenizer.padId),
      attention_mask: new Array<number>(rows * length).fill(0),
      token_type_ids: new Array<number>(rows * length).fill(0),
    };
    windows.forEach((ids, row) =>
      ids.forEach((id, position) => {
        values.input_ids[row * length + position] = id;
        values.attention_mask[row * length + position] = 1;
      }),
    );
    const feeds: InferenceSession.FeedsType = Object.fromEntries(
      this.feeds.map(({ input, type }) => [
        input,
        new Tensor(type, type === 'int64' ? BigInt64Array.from(values[input], BigInt) : Int32Array.from(values[input]), [rows, length]),
      ]),
    );
    const output = (await this.session.run(feeds))[this.logits];
    const classes = Object.keys(this.spec.id2label).length;
    const logits = output.data as Float32Array;
    if (logits.length !== rows * classes) {
      throw new ModelSignatureMismatchError(this.session.name, [`output ${this.logits} has ${logits.length} values for ${rows} windows of ${classes} classes`]);
    }
    return windows.map((_, row) => softmax(logits.subarray(row * classes, (row + 1) * classes)));
  }
}

/** The token inputs the session takes and their integer types, from its metadata; input_ids and attention_mask are required. */
function tokenFeedsOf(modelId: string, session: ModelSession): TokenFeed[] {
  const feeds: TokenFeed[] = [];
  for (const input of session.inputs) {
    const name = input.name as TokenInput;
    if (!TOKEN_INPUTS.includes(name))
      throw new TextDetectorModelError(modelId, `its graph takes an input "${input.name}"; a text classifier takes ${TOKEN_INPUTS.join(', ')}`);
    if (!input.isTensor || (input.type !== 'int64' && input.type !== 'int32')) {
      throw new TextDetectorModelError(modelId, `its input "${input.name}" is not an int32 or int64 tensor`);
    }
    feeds.push({ input: name, type: input.type });
  }
  const missing = TOKEN_INPUTS.slice(0, 2).filter((name) => !feeds.some((feed) => feed.input === name));
  if (missing.length > 0) throw new TextDetectorModelError(modelId, `its graph has no input ${missing.join(', ')}`);
  return feeds;
}

/** The output named `logits` (else the only output), a float32 [batch, classes]; the token inputs [batch, sequence]. */
function logitsOutputOf(session: ModelSession, feeds: readonly TokenFeed[], classes: number): string {
  const output = session.outputs.find((candidate) => candidate.name === 'logits') ?? (session.outputs.length === 1 ? session.outputs[0] : undefined);
  if (!output) throw new ModelSignatureMismatchError(session.name, [`no output "logits" among ${session.outputs.map((value) => value.name).join(', ')}`]);
  session.checkSignature({
    inputs: feeds.map(({ input, type }) => ({ name: input, type, shape: ['batch', 'sequence'] })),
    outputs: [{ name: output.name, type: 'float32', shape: ['batch', classes] }],
  });
  return output.name;
}
