import { z } from 'zod';
import { QUEUES } from '../queues';
import { imageBase64Schema, imageUrlSchema, isImageUrl, maxBase64Length } from './image-input';
import { defineQueueContract } from './queue-contract';

export interface SpaiLimits {
  /** Bytes of one image, downloaded or decoded from base64. */
  readonly maxImageBytes: number;
}

/**
 * 14 MiB: its base64 fits RunPod's 20 MB /runsync body. Larger photos go by `image_url`, which the
 * worker fetches with its own byte limit.
 */
export const DEFAULT_SPAI_LIMITS: SpaiLimits = { maxImageBytes: 14 * 1024 * 1024 };

/** The keys that carry the image; a detection request has exactly one of them. */
export const SPAI_IMAGE_KEYS = ['image_base64', 'image_url', 'image'] as const;
export type SpaiImageKey = (typeof SPAI_IMAGE_KEYS)[number];

const OPTION_KEYS = ['threshold', 'max_patches'] as const;
const KNOWN_KEYS: readonly string[] = [...SPAI_IMAGE_KEYS, ...OPTION_KEYS, 'health_check'];

/** What `{health_check: true}` answers once the model is loaded, as the seed's handler did. */
export const SPAI_HEALTH_OUTPUT = { status: 'ok', message: 'spai-ready' } as const;

/**
 * The `spai` contract with the given limits: the seed handler's input (`image_base64`, `image_url`,
 * or `image` holding either form, data URLs included; `{health_check: true}`), and two options of
 * ours, a per-request `threshold` and a `max_patches` below the worker's cap.
 */
export function createSpaiContract(limits: SpaiLimits = DEFAULT_SPAI_LIMITS) {
  const imageBase64 = imageBase64Schema(limits.maxImageBytes);
  const imageUrl = imageUrlSchema();
  const eitherForm = z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
    const parsed = (isImageUrl(value) ? imageUrl : imageBase64).safeParse(value);
    for (const issue of parsed.error?.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message });
  });

  const input = z
    .object(
      {
        image_base64: imageBase64.optional(),
        image_url: imageUrl.optional(),
        image: eitherForm.optional(),
        health_check: z.boolean({ error: 'must be true or false' }).optional(),
        threshold: z.number({ error: 'must be a number' }).gt(0, 'must be above 0').lt(1, 'must be below 1').optional(),
        max_patches: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').optional(),
      },
      { error: 'must be a JSON object' },
    )
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!KNOWN_KEYS.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `is not a field of spai; fields are ${KNOWN_KEYS.join(', ')}` });
      }
      if (value.health_check === true) return;
      const given = SPAI_IMAGE_KEYS.filter((key) => value[key] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: given.length === 0 ? [] : [given[1]],
          message:
            given.length === 0 ? 'needs an image: image_base64, image_url or image (or health_check: true)' : `give one image, not ${given.join(' and ')}`,
        });
      }
    });

  const detection = z.object({
    is_ai_generated: z.boolean(),
    /** sigmoid(logit): the probability that the image was generated. */
    score: z.number(),
    label: z.enum(['ai_generated', 'authentic']),
    probabilities: z.object({ ai_generated: z.number(), authentic: z.number() }),
    threshold: z.number(),
    model: z.literal('spai'),
    model_version: z.string(),
    image_size: z.object({ width: z.number().int(), height: z.number().int() }),
    /** `grid` (224-pixel tiles) or `five-crop` (an image with fewer than 4 tiles). */
    patch_mode: z.enum(['grid', 'five-crop']),
    patches_used: z.number().int(),
    patches_total: z.number().int(),
    /** Whether the patch cap chose an evenly spaced subset of patches_total. */
    patches_capped: z.boolean(),
    latency_ms: z.number(),
    timings_ms: z.object({ fetch: z.number().optional(), decode: z.number(), encoder: z.number(), aggregator: z.number() }),
    execution_provider: z.string(),
  });
  const health = z.object({ status: z.literal(SPAI_HEALTH_OUTPUT.status), message: z.literal(SPAI_HEALTH_OUTPUT.message) });

  return defineQueueContract({
    queue: QUEUES.spai,
    description:
      'SPAI (CVPR 2025) AI-generated image detection at any resolution: `image_base64`, `image_url` or `image` ' +
      '(URL, base64 or data URL); optional `threshold` and `max_patches`; `{health_check: true}` answers spai-ready.',
    input,
    output: z.union([detection, health]),
    // One image of up to maxImageBytes as base64, past the platform's default string limit.
    inputShape: { maxDepth: 1, maxKeys: 16, maxStringLength: maxBase64Length(limits.maxImageBytes) },
    // Concurrent images share encoder batches, interleaved by image.
    gpuConcurrency: 8,
  });
}

export const spaiContract = createSpaiContract();

export type SpaiInput = z.infer<typeof spaiContract.input>;
export type SpaiOutput = z.infer<typeof spaiContract.output>;
export type SpaiDetectionOutput = Exclude<SpaiOutput, typeof SPAI_HEALTH_OUTPUT>;
