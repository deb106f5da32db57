import { z } from 'zod';
import { loadModelRuntimeConfig, type ModelRuntimeConfig } from '@switchyard/model-runtime';
import { imageFetchSettings, imageFetchVariables, type ImageFetchSettings } from '@switchyard/outbound';
import { ConfigError, DEFAULT_EMBEDDER_LIMITS, EMBEDDING_MODELS, env, parseConfig, type EmbedderLimits, type EmbeddingModelKey } from '@switchyard/shared';
import type { AlphaHandling, ModelSource } from '@switchyard/embeddings';

export interface BatchingOptions {
  /** Texts per `session.run` of a text model, and their budget in tokens. */
  textBatchSize: number;
  textBatchTokens: number;
  /**
   * How many queued texts a batch chooses from: it takes the oldest and those closest to it in
   * length, so that padding every text to the longest of its batch wastes little.
   */
  textLookahead: number;
  /** Images per `session.run` of the vision tower. */
  imageBatchSize: number;
  /** How long the oldest item may wait for its batch to fill; 0 runs whatever is queued as soon as the model is free. */
  maxWaitMs: number;
  /** Items waiting per model beyond this are refused (the job fails at once) instead of queueing without end. */
  maxQueuedItems: number;
}

export interface ImageOptions {
  maxPixels: number;
  fetch: ImageFetchSettings;
  /** Images of one job downloaded and decoded at once. */
  concurrency: number;
  /** Transparency dropped (as CLIPImageProcessor does) or flattened onto a colour. */
  alpha: AlphaHandling;
}

export interface EmbedderConfig {
  /** The weights serving each model name of the contract. */
  models: Record<EmbeddingModelKey, ModelSource>;
  limits: EmbedderLimits;
  images: ImageOptions;
  batching: BatchingOptions;
  runtime: ModelRuntimeConfig;
  logLevel: string;
}

/** EMBEDDER_IMAGE_ALPHA: `drop`, or `flatten:#rrggbb`; undefined if it is neither. */
function alphaHandling(value: string): AlphaHandling | undefined {
  if (value === 'drop') return 'drop';
  const colour = /^flatten:(#[0-9a-f]{6})$/i.exec(value)?.[1];
  return colour === undefined ? undefined : { flatten: colour.toLowerCase() };
}

const schema = z.object({
  EMBEDDER_MINILM_REPO: z.string().min(1).default(EMBEDDING_MODELS.miniLm.id),
  EMBEDDER_MINILM_REVISION: z.string().min(1).default('main'),
  EMBEDDER_CLIP_REPO: z.string().min(1).default(EMBEDDING_MODELS.clip.id),
  EMBEDDER_CLIP_REVISION: z.string().min(1).default('main'),
  EMBEDDER_MAX_TEXTS: env.positiveInt(DEFAULT_EMBEDDER_LIMITS.maxTexts),
  EMBEDDER_MAX_IMAGES: env.positiveInt(DEFAULT_EMBEDDER_LIMITS.maxImages),
  EMBEDDER_MAX_TEXT_CHARS: env.positiveInt(DEFAULT_EMBEDDER_LIMITS.maxTextChars),
  EMBEDDER_MAX_IMAGE_BYTES: env.positiveInt(DEFAULT_EMBEDDER_LIMITS.maxImageBytes),
  EMBEDDER_MAX_IMAGE_PIXELS: env.positiveInt(40_000_000),
  ...imageFetchVariables('EMBEDDER'),
  EMBEDDER_IMAGE_CONCURRENCY: env.positiveInt(8),
  EMBEDDER_IMAGE_ALPHA: z
    .string()
    .default('drop')
    .transform((value, context) => {
      const alpha = alphaHandling(value.trim());
      if (alpha === undefined) context.addIssue({ code: 'custom', message: 'must be "drop" or "flatten:#rrggbb"' });
      return alpha ?? 'drop';
    }),
  EMBEDDER_TEXT_BATCH_SIZE: env.positiveInt(32),
  EMBEDDER_TEXT_BATCH_TOKENS: env.positiveInt(16_384),
  EMBEDDER_TEXT_BATCH_LOOKAHEAD: env.positiveInt(512),
  EMBEDDER_IMAGE_BATCH_SIZE: env.positiveInt(32),
  // 0: a batch starts as soon as the model is free, with what queued while it ran, as text-embeddings-inference does.
  EMBEDDER_BATCH_WAIT_MS: z.coerce.number().min(0).max(1000).default(0),
  EMBEDDER_MAX_QUEUED_ITEMS: env.positiveInt(8192),
  LOG_LEVEL: env.logLevel(),
});

/**
 * The embedder's settings (see docs/embedder.md), read once at start-up. Limits above the
 * contract's defaults have no effect through the gateway, which refuses larger requests first.
 */
export function loadEmbedderConfig(environment: NodeJS.ProcessEnv = process.env): EmbedderConfig {
  const values = parseConfig('embedder', schema, environment);
  // A job's items are queued all at once or not at all, so the largest job must fit an idle worker.
  const largestJob = Math.max(values.EMBEDDER_MAX_TEXTS, values.EMBEDDER_MAX_IMAGES);
  if (values.EMBEDDER_MAX_QUEUED_ITEMS < largestJob) {
    throw new ConfigError(
      `embedder: invalid configuration\n  EMBEDDER_MAX_QUEUED_ITEMS: must be at least ${largestJob} (EMBEDDER_MAX_TEXTS, EMBEDDER_MAX_IMAGES)`,
    );
  }
  return {
    models: {
      miniLm: { repo: values.EMBEDDER_MINILM_REPO, revision: values.EMBEDDER_MINILM_REVISION },
      clip: { repo: values.EMBEDDER_CLIP_REPO, revision: values.EMBEDDER_CLIP_REVISION },
    },
    limits: {
      maxTexts: values.EMBEDDER_MAX_TEXTS,
      maxImages: values.EMBEDDER_MAX_IMAGES,
      maxTextChars: values.EMBEDDER_MAX_TEXT_CHARS,
      maxImageBytes: values.EMBEDDER_MAX_IMAGE_BYTES,
    },
    images: {
      maxPixels: values.EMBEDDER_MAX_IMAGE_PIXELS,
      fetch: imageFetchSettings('EMBEDDER', values),
      concurrency: values.EMBEDDER_IMAGE_CONCURRENCY,
      alpha: values.EMBEDDER_IMAGE_ALPHA,
    },
    batching: {
      textBatchSize: values.EMBEDDER_TEXT_BATCH_SIZE,
      textBatchTokens: values.EMBEDDER_TEXT_BATCH_TOKENS,
      textLookahead: Math.max(values.EMBEDDER_TEXT_BATCH_LOOKAHEAD, values.EMBEDDER_TEXT_BATCH_SIZE),
      imageBatchSize: values.EMBEDDER_IMAGE_BATCH_SIZE,
      maxWaitMs: values.EMBEDDER_BATCH_WAIT_MS,
      maxQueuedItems: values.EMBEDDER_MAX_QUEUED_ITEMS,
    },
    runtime: loadModelRuntimeConfig(environment),
    logLevel: values.LOG_LEVEL,
  };
}
