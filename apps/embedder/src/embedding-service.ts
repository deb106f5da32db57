import { loadModels, MicroBatcher, type MicroBatcherStats, type ModelSessions } from '@switchyard/model-runtime';
import {
  createEmbedderContract,
  DEFAULT_EMBEDDING_MODEL,
  EMBEDDER_INPUT_KEYS,
  EMBEDDER_INPUT_MODALITY,
  EMBEDDING_MODELS,
  findEmbeddingModel,
  type EmbedderInput,
  type EmbedderInputKey,
  type EmbedderLimits,
  type EmbedderOutput,
  type EmbeddingModelKey,
  type Logger,
} from '@switchyard/shared';
import {
  EmbeddingModelError,
  loadClipEncoders,
  SentenceEncoder,
  toJsonVector,
  truncateDimensions,
  type BatchEncoder,
  type ClipEncoders,
  type TextTokenizer,
  type TokenizedText,
} from '@switchyard/embeddings';
import { ImageInputError, ImageLoader } from '@switchyard/outbound';
import type { z } from 'zod';
import type { BatchingOptions, EmbedderConfig } from './config';
import { mapConcurrently } from './map-concurrently';

export interface EmbeddingModels {
  miniLm: SentenceEncoder;
  clip: ClipEncoders;
}

export interface EmbeddingServiceOptions {
  limits: EmbedderLimits;
  batching: BatchingOptions;
  /** Images of one job downloaded and decoded at once. */
  imageConcurrency: number;
}

/** What a job returns for input the client must fix: RunPod fails the job with this `error`. */
export interface EmbeddingFailure {
  error: string;
  [detail: string]: unknown;
}

interface TextModel {
  tokenizer: TextTokenizer;
  batcher: MicroBatcher<TokenizedText, Float32Array>;
}

const LIST_KEYS: ReadonlySet<EmbedderInputKey> = new Set(['texts', 'image_urls', 'images_base64']);

const round = (ms: number) => Math.round(ms * 100) / 100;

function describeIssue(issue: z.core.$ZodIssue): EmbeddingFailure {
  if (issue.code === 'custom' && issue.params) return { error: issue.message, ...issue.params };
  const path = issue.path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '');
  return { error: path ? `${path}: ${issue.message}` : issue.message };
}

/**
 * Turns an `embedder` job's input into vectors. Every model graph sits behind a micro-batcher, so
 * the items of concurrent jobs share `session.run`s; a job's own problems (a bad image) are found
 * before its items reach a batch, so they never fail the jobs batched with it.
 */
export class EmbeddingService {
  private readonly text: Record<EmbeddingModelKey, TextModel>;
  private readonly images: MicroBatcher<Float32Array, Float32Array>;
  private readonly batchers = new Map<string, Pick<MicroBatcher<unknown, Float32Array>, 'stats' | 'close'>>();
  private readonly contract: ReturnType<typeof createEmbedderContract>;

  constructor(
    private readonly models: EmbeddingModels,
    private readonly sessions: ModelSessions,
    private readonly loader: ImageLoader,
    private readonly options: EmbeddingServiceOptions,
  ) {
    const served: [EmbeddingModelKey, BatchEncoder<unknown>][] = [
      ['miniLm', models.miniLm],
      ['clip', models.clip.text],
      ['clip', models.clip.vision],
    ];
    for (const [key, encoder] of served) {
      if (encoder.dimensions !== EMBEDDING_MODELS[key].dimensions) {
        throw new EmbeddingModelError(
          encoder.name,
          `it gives ${encoder.dimensions} dimensions; ${EMBEDDING_MODELS[key].id} has ${EMBEDDING_MODELS[key].dimensions}`,
        );
      }
    }
    const { textBatchSize, textBatchTokens, textLookahead, imageBatchSize } = options.batching;
    for (const encoder of [models.miniLm, models.clip.text]) {
      if (encoder.tokenizer.maxLength > textBatchTokens) {
        throw new RangeError(
          `A batch budget of ${textBatchTokens} tokens cannot hold one text of ${encoder.name} (up to ${encoder.tokenizer.maxLength} tokens)`,
        );
      }
    }
    this.text = {
      miniLm: { tokenizer: models.miniLm.tokenizer, batcher: this.batcherFor(models.miniLm, textBatchSize, textBatchTokens, textLookahead) },
      clip: { tokenizer: models.clip.text.tokenizer, batcher: this.batcherFor(models.clip.text, textBatchSize, textBatchTokens, textLookahead) },
    };
    // Every image costs the same (one 224×224 crop): first in, first out.
    this.images = this.batcherFor(models.clip.vision, imageBatchSize);
    this.contract = createEmbedderContract(options.limits);
  }

  /**
   * Loads the configured models (files through the model store), checked and warmed up, into the
   * inference threads (MODEL_INFERENCE_THREADS), so that runs leave the event loop free.
   */
  static async load(config: EmbedderConfig, logger: Logger): Promise<EmbeddingService> {
    return loadModels(config.runtime, logger, async (store, sessions) => {
      const miniLm = await SentenceEncoder.load(store, sessions, config.models.miniLm);
      const clip = await loadClipEncoders(store, sessions, config.models.clip, { maxPixels: config.images.maxPixels, alpha: config.images.alpha });
      const loader = new ImageLoader({ maxBytes: config.limits.maxImageBytes, ...config.images.fetch });
      return new EmbeddingService({ miniLm, clip }, sessions, loader, {
        limits: config.limits,
        batching: config.batching,
        imageConcurrency: config.images.concurrency,
      });
    });
  }

  async embed(input: EmbedderInput, signal: AbortSignal): Promise<EmbedderOutput | EmbeddingFailure> {
    const started = performance.now();
    // The gateway checked the contract's default limits; this worker may be configured lower.
    const parsed = this.contract.input.safeParse(input);
    if (!parsed.success) return describeIssue(parsed.error.issues[0]);
    const request = parsed.data;
    const key = EMBEDDER_INPUT_KEYS.find((candidate) => request[candidate] !== undefined)!;
    const modality = EMBEDDER_INPUT_MODALITY[key];
    const model = request.model === undefined ? DEFAULT_EMBEDDING_MODEL[modality] : findEmbeddingModel(request.model)!;
    const isList = LIST_KEYS.has(key);
    const values = (isList ? request[key] : [request[key]]) as string[];

    let vectors: Float32Array[];
    let textDetails: Pick<EmbedderOutput, 'tokens' | 'max_tokens' | 'truncated'> = {};
    try {
      if (modality === 'text') {
        const { tokenizer, batcher } = this.text[model];
        const tokenized = await tokenizer.encodeAll(values);
        vectors = await batcher.submitAll(
          tokenized.map((item) => ({ item, cost: item.ids.length })),
          { signal },
        );
        const truncated = tokenized.map((item) => item.truncated);
        textDetails = {
          tokens: tokenized.reduce((sum, item) => sum + item.ids.length, 0),
          max_tokens: tokenizer.maxLength,
          truncated: isList ? truncated : truncated[0],
        };
      } else {
        vectors = await this.embedImages(key, values, signal);
      }
    } catch (error) {
      // A single item keeps the seed's message as it is ("Failed to download image: 404 Not Found").
      if (error instanceof ItemError) return { error: isList ? error.message : error.cause.message };
      throw error;
    }

    const encoder = modality === 'image' ? this.models.clip.vision : model === 'miniLm' ? this.models.miniLm : this.models.clip.text;
    const dimensions = request.dimensions ?? EMBEDDING_MODELS[model].dimensions;
    const json = vectors.map((vector) => toJsonVector(truncateDimensions(vector, dimensions)));
    const latency = performance.now() - started;
    return {
      ...(isList ? { vectors: json, count: json.length } : { vector: json[0] }),
      dimensions,
      model: EMBEDDING_MODELS[model].id,
      type: modality,
      latency_ms: round(latency),
      ...(isList ? { avg_latency_per_item_ms: round(latency / json.length) } : {}),
      ...textDetails,
      execution_provider: encoder.session.provider,
    };
  }

  /** Facts for the worker's /health: what is loaded, where it runs, how batching goes. */
  describe(): Record<string, unknown> {
    const graphs = [this.models.miniLm, this.models.clip.text, this.models.clip.vision];
    return {
      executionProvider: this.sessions.executionProviders[0],
      inferenceThreads: this.sessions.inferenceThreads,
      models: graphs.map((encoder) => ({
        graph: encoder.name,
        executionProvider: encoder.session.provider,
        nodesByProvider: encoder.session.providerUsage?.nodes,
        dimensions: encoder.dimensions,
      })),
      batching: Object.fromEntries([...this.batchers].map(([name, batcher]): [string, MicroBatcherStats] => [name, batcher.stats()])),
    };
  }

  /** Finishes the queued items, then releases the models and ends the inference threads. */
  async close(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((batcher) => batcher.close()));
    await Promise.all(Object.values(this.text).map(({ tokenizer }) => tokenizer.close()));
    await this.models.clip.vision.preprocessor.close();
    await this.sessions.release();
  }

  private batcherFor<Item>(encoder: BatchEncoder<Item>, maxBatchSize: number, maxBatchCost?: number, lookahead?: number): MicroBatcher<Item, Float32Array> {
    const batcher = new MicroBatcher<Item, Float32Array>({
      name: encoder.name,
      runBatch: (items) => encoder.embedBatch(items),
      maxBatchSize,
      maxBatchCost,
      lookahead,
      maxWaitMs: this.options.batching.maxWaitMs,
      maxQueued: this.options.batching.maxQueuedItems,
    });
    this.batchers.set(encoder.name, batcher);
    return batcher;
  }

  /**
   * Downloads or decodes, then preprocesses, each image of the job; only images that made it
   * through go to the shared batch. The first bad image fails the job and drops its other queued images.
   */
  private async embedImages(key: EmbedderInputKey, values: readonly string[], signal: AbortSignal): Promise<Float32Array[]> {
    const failed = new AbortController();
    const itemSignal = AbortSignal.any([signal, failed.signal]);
    const download = key === 'image_url' || key === 'image_urls';
    try {
      return await mapConcurrently(values, this.options.imageConcurrency, async (value, index) => {
        let pixels: Float32Array;
        try {
          const bytes = download ? await this.loader.download(value) : this.loader.decodeBase64(value);
          pixels = await this.models.clip.vision.preprocessor.preprocess(bytes);
        } catch (error) {
          if (error instanceof ImageInputError) throw new ItemError(LIST_KEYS.has(key) ? `${key}[${index}]` : key, error);
          throw error;
        }
        itemSignal.throwIfAborted();
        return this.images.submit(pixels, { signal: itemSignal });
      });
    } catch (error) {
      failed.abort(error);
      throw error;
    }
  }
}

/** An input error of one item of a job, with the item's name. */
class ItemError extends Error {
  constructor(
    item: string,
    override readonly cause: ImageInputError,
  ) {
    super(`${item}: ${cause.message}`, { cause });
  }
}
