import { z } from 'zod';
import { QUEUES } from '../queues';
import { defineQueueContract } from './queue-contract';

/** The seed's limits: 1–10,000 characters a text, at most 100 texts a batch. */
export const TEXT_DETECTOR_LIMITS = { minTextLength: 1, maxTextLength: 10_000, maxBatchTexts: 100 } as const;

/** The keys that carry the text; a request has exactly one of them. */
export const TEXT_DETECTOR_TEXT_KEYS = ['text', 'texts'] as const;
const KNOWN_KEYS: readonly string[] = [...TEXT_DETECTOR_TEXT_KEYS, 'model_id', 'threshold'];

const textSchema = z
  .string({ error: 'must be a string' })
  .min(TEXT_DETECTOR_LIMITS.minTextLength, `must be at least ${TEXT_DETECTOR_LIMITS.minTextLength} character`)
  .max(TEXT_DETECTOR_LIMITS.maxTextLength, `must be at most ${TEXT_DETECTOR_LIMITS.maxTextLength} characters`);

const input = z
  .object(
    {
      text: textSchema.optional(),
      texts: z
        .array(textSchema, { error: 'must be an array of strings' })
        .min(1, 'must hold at least one text')
        .max(TEXT_DETECTOR_LIMITS.maxBatchTexts, `must hold at most ${TEXT_DETECTOR_LIMITS.maxBatchTexts} texts`)
        .optional(),
      /** A model of the worker's registry; its default model when left out. */
      model_id: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
      threshold: z.number({ error: 'must be a number' }).gt(0, 'must be above 0').lt(1, 'must be below 1').optional(),
    },
    { error: 'must be a JSON object' },
  )
  .catchall(z.unknown())
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!KNOWN_KEYS.includes(key))
        ctx.addIssue({ code: 'custom', path: [key], message: `is not a field of text-detector; fields are ${KNOWN_KEYS.join(', ')}` });
    }
    const given = TEXT_DETECTOR_TEXT_KEYS.filter((key) => value[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length === 0 ? [] : ['texts'],
        message: given.length === 0 ? 'needs text or texts' : 'give text or texts, not both',
      });
    }
  });

const textResult = z.object({
  /** 1 when machine-written (probability at or over the threshold), else 0. */
  prediction: z.union([z.literal(0), z.literal(1)]),
  /** Probability that the text is machine-written. */
  probability: z.number(),
  /** |probability − 0.5| · 2 */
  confidence: z.number(),
  is_fake: z.boolean(),
  /** The model's own name of the class it predicts (its config.json id2label). */
  label: z.string(),
  /** Every class's probability, by the model's label names. */
  probabilities: z.record(z.string(), z.number()),
  /** The text's tokens, special tokens left out. */
  tokens: z.number().int(),
  /** Overlapping windows the text was read in (1 when it fits the model's maximum length). */
  windows: z.number().int(),
});

const output = z.object({
  model_id: z.string(),
  /** `<repository>@<revision>`, or `@local` for a model folder. */
  model_version: z.string(),
  threshold: z.number(),
  /** One per text, in the order given. */
  results: z.array(textResult),
  latency_ms: z.number(),
  execution_provider: z.string(),
});

/**
 * The `text-detector` contract: AI-written text detection with a sequence classifier of the
 * worker's registry (`model_id`), for one `text` or a batch of up to 100 `texts`; long texts are
 * read in overlapping windows of the model's maximum length.
 */
export const textDetectorContract = defineQueueContract({
  queue: QUEUES.textDetector,
  description:
    'AI-written text detection: `text` or `texts` (at most 100, each 1–10,000 characters), an optional `model_id` of the ' +
    "worker's registry and `threshold`. Answers per text the probability of machine writing, the seed's prediction fields and the windows read.",
  input,
  output,
  inputShape: { maxDepth: 2, maxKeys: 128, maxStringLength: TEXT_DETECTOR_LIMITS.maxTextLength },
  // Concurrent requests share classifier batches.
  gpuConcurrency: 8,
  modelField: 'model_id',
});

export type TextDetectorInput = z.infer<typeof textDetectorContract.input>;
export type TextDetectorOutput = z.infer<typeof textDetectorContract.output>;
export type TextDetectionResult = z.infer<typeof textResult>;
