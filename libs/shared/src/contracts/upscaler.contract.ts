import { z } from 'zod';
import { QUEUES } from '../queues';
import { DEFAULT_GENERATOR_LIMITS, MIN_TILE_SIZE, UPSCALE_TILE_PAD, type GeneratorLimits } from './generator.contract';
import { imageBase64Schema, imageUrlSchema, maxBase64Length } from './image-input';
import { defineQueueContract } from './queue-contract';

export interface UpscalerLimits extends Pick<GeneratorLimits, 'maxOutputPixels' | 'maxTileSize'> {
  /** Bytes of the image, downloaded or decoded from base64. */
  readonly maxImageBytes: number;
}

/** 14 MiB images (their base64 fits RunPod's 20 MB /runsync body), and the generator's output and tile limits. */
export const DEFAULT_UPSCALER_LIMITS: UpscalerLimits = {
  maxImageBytes: 14 * 1024 * 1024,
  maxOutputPixels: DEFAULT_GENERATOR_LIMITS.maxOutputPixels,
  maxTileSize: DEFAULT_GENERATOR_LIMITS.maxTileSize,
};

export const UPSCALER_IMAGE_KEYS = ['image_base64', 'image_url'] as const;
export const UPSCALER_OUTPUT_FORMATS = ['jpeg', 'png'] as const;
export const DEFAULT_UPSCALER_TILE_SIZE = 512;
const KNOWN_KEYS: readonly string[] = [...UPSCALER_IMAGE_KEYS, 'scale', 'tile_size', 'output_format'];

/**
 * The `upscaler` contract: Real-ESRGAN x4plus on one image (`image_base64` or `image_url`), tiled as
 * the reference tiles; `scale` other than 4 runs 4× and then resamples (Lanczos), as the reference's
 * `outscale`. The output's size is checked against the limit once the image's header is read, before
 * any pixel is decoded.
 */
export function createUpscalerContract(limits: UpscalerLimits = DEFAULT_UPSCALER_LIMITS) {
  const input = z
    .object(
      {
        image_base64: imageBase64Schema(limits.maxImageBytes).optional(),
        image_url: imageUrlSchema().optional(),
        scale: z.number({ error: 'must be a number' }).gt(1, 'must be above 1').max(8, 'must be at most 8').default(4),
        tile_size: z
          .number({ error: 'must be a number' })
          .int('must be a whole number')
          .min(MIN_TILE_SIZE, `must be at least ${MIN_TILE_SIZE} (more than the ${UPSCALE_TILE_PAD}-pixel tile padding on each side)`)
          .max(limits.maxTileSize, `must be at most ${limits.maxTileSize}`)
          .default(DEFAULT_UPSCALER_TILE_SIZE),
        output_format: z.enum(UPSCALER_OUTPUT_FORMATS, { error: `must be ${UPSCALER_OUTPUT_FORMATS.join(' or ')}` }).default('jpeg'),
      },
      { error: 'must be a JSON object' },
    )
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!KNOWN_KEYS.includes(key))
          ctx.addIssue({ code: 'custom', path: [key], message: `is not a field of upscaler; fields are ${KNOWN_KEYS.join(', ')}` });
      }
      const given = UPSCALER_IMAGE_KEYS.filter((key) => value[key] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: given.length === 0 ? [] : ['image_url'],
          message: given.length === 0 ? 'needs an image: image_base64 or image_url' : 'give image_base64 or image_url, not both',
        });
      }
    });

  const output = z.object({
    /** Base64 of the upscaled image (JPEG unless `output_format` says png), or its URL with `s3Config`. */
    image: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    input_width: z.number().int(),
    input_height: z.number().int(),
    scale: z.number(),
    tiles: z.number().int(),
    format: z.enum(UPSCALER_OUTPUT_FORMATS),
    upscaler: z.string(),
    timings_ms: z.record(z.string(), z.number()),
    execution_provider: z.string(),
  });

  return defineQueueContract({
    queue: QUEUES.upscaler,
    description:
      'Real-ESRGAN x4plus upscaling of `image_base64` or `image_url`: `scale` (above 1, at most 8; 4 by default), `tile_size` ' +
      '(input pixels per tile, 512 by default) and `output_format` (jpeg or png). Progress per tile.',
    input,
    output,
    inputShape: { maxDepth: 1, maxKeys: 16, maxStringLength: maxBase64Length(limits.maxImageBytes) },
    fileOutputs: ['image'],
  });
}

export const upscalerContract = createUpscalerContract();

export type UpscalerInput = z.input<typeof upscalerContract.input>;
export type UpscalerRequest = z.output<typeof upscalerContract.input>;
export type UpscalerOutput = z.infer<typeof upscalerContract.output>;
