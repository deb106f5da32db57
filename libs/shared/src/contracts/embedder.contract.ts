import { z } from 'zod';
import { defineQueueContract } from './queue-contract';
import { QUEUES } from '../queues';
import { imageBase64Schema, imageUrlSchema } from './image-input';

export type EmbeddingModality = 'text' | 'image';

export interface EmbeddingModelInfo {
  /** The name results report and clients ask for (a Hugging Face repository id). */
  readonly id: string;
  /** Other names accepted for it. */
  readonly aliases: readonly string[];
  readonly modalities: readonly EmbeddingModality[];
  readonly dimensions: number;
}

/**
 * The models the `embedder` endpoint serves, by the names clients use. Which weights implement
 * each (repository and revision) is the embedder's configuration; it refuses to start when they
 * do not give these dimensions.
 */
export const EMBEDDING_MODELS = {
  miniLm: {
    id: 'sentence-transformers/all-MiniLM-L6-v2',
    aliases: ['all-MiniLM-L6-v2'],
    modalities: ['text'],
    dimensions: 384,
  },
  clip: {
    id: 'openai/clip-vit-base-patch32',
    // The seed reported its CLIP model as open_clip names it.
    aliases: ['clip-vit-base-patch32', 'openclip/ViT-B-32', 'ViT-B-32'],
    modalities: ['text', 'image'],
    dimensions: 512,
  },
} as const satisfies Record<string, EmbeddingModelInfo>;

export type EmbeddingModelKey = keyof typeof EMBEDDING_MODELS;

const MODEL_KEYS = Object.keys(EMBEDDING_MODELS) as EmbeddingModelKey[];

/** The model a name (id or alias) refers to, if any. */
export function findEmbeddingModel(name: string): EmbeddingModelKey | undefined {
  return MODEL_KEYS.find((key) => {
    const model: EmbeddingModelInfo = EMBEDDING_MODELS[key];
    return model.id === name || model.aliases.includes(name);
  });
}

/** What a request without `model` gets: MiniLM for text, CLIP for images. */
export const DEFAULT_EMBEDDING_MODEL: Readonly<Record<EmbeddingModality, EmbeddingModelKey>> = { text: 'miniLm', image: 'clip' };

/** The keys that carry what to embed; a request has exactly one of them. */
export const EMBEDDER_INPUT_KEYS = ['text', 'texts', 'image_url', 'image_urls', 'image_base64', 'images_base64'] as const;
export type EmbedderInputKey = (typeof EMBEDDER_INPUT_KEYS)[number];
const OPTION_KEYS = ['model', 'dimensions'];

export const EMBEDDER_INPUT_MODALITY: Readonly<Record<EmbedderInputKey, EmbeddingModality>> = {
  text: 'text',
  texts: 'text',
  image_url: 'image',
  image_urls: 'image',
  image_base64: 'image',
  images_base64: 'image',
};

export interface EmbedderLimits {
  /** Texts in one `texts` list. */
  readonly maxTexts: number;
  /** Images in one `image_urls` or `images_base64` list. */
  readonly maxImages: number;
  /** Characters of one text; tokens past the model's maximum length are cut anyway. */
  readonly maxTextChars: number;
  /** Bytes of one image, downloaded or decoded from base64. */
  readonly maxImageBytes: number;
}

export const DEFAULT_EMBEDDER_LIMITS: EmbedderLimits = {
  maxTexts: 1024,
  maxImages: 64,
  maxTextChars: 32_768,
  maxImageBytes: 10 * 1024 * 1024,
};

function invalidKeys(input: Record<string, unknown>): boolean {
  const keys = Object.keys(input);
  const content = keys.filter((key) => (EMBEDDER_INPUT_KEYS as readonly string[]).includes(key));
  return content.length !== 1 || keys.some((key) => !content.includes(key) && !OPTION_KEYS.includes(key));
}

/**
 * The `embedder` contract with the given limits: the gateway refuses what breaks them with a 400,
 * and a worker configured with lower limits checks its own.
 */
export function createEmbedderContract(limits: EmbedderLimits = DEFAULT_EMBEDDER_LIMITS) {
  const text = z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(limits.maxTextChars, `is longer than the limit of ${limits.maxTextChars} characters`);
  const imageUrl = imageUrlSchema();
  const imageBase64 = imageBase64Schema(limits.maxImageBytes);
  const list = <Item extends z.ZodType>(key: EmbedderInputKey, item: Item, max: number) =>
    z
      .array(item, { error: `'${key}' must be a list` })
      .min(1, `'${key}' list cannot be empty`)
      .max(max, `'${key}' has more than the limit of ${max} items`);

  const fields = z
    .object({
      text: text.optional(),
      texts: list('texts', text, limits.maxTexts).optional(),
      image_url: imageUrl.optional(),
      image_urls: list('image_urls', imageUrl, limits.maxImages).optional(),
      image_base64: imageBase64.optional(),
      images_base64: list('images_base64', imageBase64, limits.maxImages).optional(),
      model: z.string({ error: 'must be a string' }).optional(),
      dimensions: z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be at least 1').optional(),
    })
    .superRefine((input, ctx) => {
      const key = EMBEDDER_INPUT_KEYS.find((candidate) => input[candidate] !== undefined)!;
      const modality = EMBEDDER_INPUT_MODALITY[key];
      const modelKey = input.model === undefined ? DEFAULT_EMBEDDING_MODEL[modality] : findEmbeddingModel(input.model);
      if (!modelKey) {
        const known = MODEL_KEYS.map((candidate) => EMBEDDING_MODELS[candidate].id).join(', ');
        ctx.addIssue({ code: 'custom', path: ['model'], message: `unknown model "${input.model}"; this endpoint serves ${known}` });
        return;
      }
      const model: EmbeddingModelInfo = EMBEDDING_MODELS[modelKey];
      if (!model.modalities.includes(modality)) {
        const able = MODEL_KEYS.filter((candidate) => (EMBEDDING_MODELS[candidate] as EmbeddingModelInfo).modalities.includes(modality));
        ctx.addIssue({
          code: 'custom',
          path: ['model'],
          message: `${model.id} cannot embed ${modality}s; use ${able.map((candidate) => EMBEDDING_MODELS[candidate].id).join(' or ')}`,
        });
      }
      if (input.dimensions !== undefined && input.dimensions > model.dimensions) {
        ctx.addIssue({ code: 'custom', path: ['dimensions'], message: `must be at most ${model.dimensions}, the dimensions of ${model.id}` });
      }
    });

  const input = z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
    .superRefine((value, ctx) => {
      if (!invalidKeys(value)) return;
      // The seed's error shape for wrong keys.
      ctx.addIssue({
        code: 'custom',
        message: 'Invalid input format',
        params: { received_keys: Object.keys(value), expected_keys: [...EMBEDDER_INPUT_KEYS] },
      });
    })
    .pipe(fields);

  const vector = z.array(z.number());
  const output = z.object({
    vector: vector.optional(),
    vectors: z.array(vector).optional(),
    count: z.number().int().optional(),
    dimensions: z.number().int(),
    model: z.string(),
    type: z.enum(['text', 'image']),
    latency_ms: z.number(),
    avg_latency_per_item_ms: z.number().optional(),
    /** Tokens the model read (texts only), after truncation. */
    tokens: z.number().int().optional(),
    /** The model's maximum length in tokens (texts only); longer texts are cut to it. */
    max_tokens: z.number().int().optional(),
    /** Whether the text was cut at max_tokens; a list, one per text, for `texts`. */
    truncated: z.union([z.boolean(), z.array(z.boolean())]).optional(),
    /** Where the model ran (`cpu`, `cuda`…): the session's execution provider. */
    execution_provider: z.string(),
  });

  return defineQueueContract({
    queue: QUEUES.embedder,
    description:
      'Text and image vectors: `text`/`texts` (all-MiniLM-L6-v2, or the CLIP text tower with `model`), ' +
      '`image_url`/`image_urls`/`image_base64`/`images_base64` (CLIP ViT-B/32); optional `dimensions`.',
    input,
    output,
    // A flat object of strings and lists of strings.
    inputShape: { maxDepth: 2, maxKeys: Math.max(limits.maxTexts, limits.maxImages) + 16 },
    // Jobs share the device through cross-request batches, one batch at a time.
    gpuConcurrency: 64,
  });
}

export const embedderContract = createEmbedderContract();

export type EmbedderInput = z.infer<typeof embedderContract.input>;
export type EmbedderOutput = z.infer<typeof embedderContract.output>;
