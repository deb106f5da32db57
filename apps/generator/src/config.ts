import { z } from 'zod';
import { AESTHETIC_HEAD_FILE } from '@switchyard/embeddings';
import type { ImageGenerationConfig } from '@switchyard/image-generation';
import { loadModelRuntimeConfig } from '@switchyard/model-runtime';
import { imageFetchSettings, imageFetchVariables } from '@switchyard/outbound';
import { ConfigError, DEFAULT_GENERATOR_LIMITS, DEFAULT_UPSCALER_LIMITS, env, parseConfig } from '@switchyard/shared';

export interface GeneratorConfig {
  images: ImageGenerationConfig;
  logLevel: string;
}

/** The seed's model; its ONNX export is the user's to make (docs/models.md). */
export const DEFAULT_PIPELINE_REPO = 'playgroundai/playground-v2.5-1024px-aesthetic';
export const DEFAULT_UPSCALER_REPO = 'ai-forever/Real-ESRGAN';
export const DEFAULT_UPSCALER_FILE = 'onnx/RealESRGAN_x4plus.onnx';
export const DEFAULT_CLIP_REPO = 'openai/clip-vit-base-patch32';
export const DEFAULT_AESTHETIC_REPO = 'LAION-AI/aesthetic-predictor';

const schema = z.object({
  GENERATOR_MODEL_REPO: z.string().min(1).default(DEFAULT_PIPELINE_REPO),
  GENERATOR_MODEL_REVISION: z.string().min(1).default('main'),
  UPSCALER_REPO: z.string().min(1).default(DEFAULT_UPSCALER_REPO),
  UPSCALER_REVISION: z.string().min(1).default('main'),
  UPSCALER_FILE: z.string().min(1).default(DEFAULT_UPSCALER_FILE),
  AESTHETIC_CLIP_REPO: z.string().min(1).default(DEFAULT_CLIP_REPO),
  AESTHETIC_CLIP_REVISION: z.string().min(1).default('main'),
  AESTHETIC_HEAD_REPO: z.string().min(1).default(DEFAULT_AESTHETIC_REPO),
  AESTHETIC_HEAD_REVISION: z.string().min(1).default('main'),
  AESTHETIC_HEAD_FILE: z.string().min(1).default(AESTHETIC_HEAD_FILE),
  GENERATOR_MAX_BASE_PIXELS: env.positiveInt(DEFAULT_GENERATOR_LIMITS.maxBasePixels),
  GENERATOR_MAX_OUTPUT_PIXELS: env.positiveInt(DEFAULT_GENERATOR_LIMITS.maxOutputPixels),
  GENERATOR_MAX_STEPS: env.positiveInt(DEFAULT_GENERATOR_LIMITS.maxSteps),
  /** Unset: the largest tile one upscaler run takes (√UPSCALER_MAX_WHOLE_IMAGE_PIXELS), at most the platform's limit. */
  GENERATOR_MAX_TILE_SIZE: z.coerce.number().int().positive().optional(),
  /** 1024×1024: an untiled Real-ESRGAN run's activations grow with the whole image (64 features at 4× size). */
  UPSCALER_MAX_WHOLE_IMAGE_PIXELS: env.positiveInt(1024 * 1024),
  UPSCALER_MAX_IMAGE_BYTES: env.positiveInt(DEFAULT_UPSCALER_LIMITS.maxImageBytes),
  ...imageFetchVariables('UPSCALER'),
  GENERATOR_JPEG_QUALITY: z.coerce.number().int().min(1).max(100).default(95),
  LOG_LEVEL: env.logLevel(),
});

/** The generator worker's settings (see docs/models.md), read once at start-up. */
export function loadGeneratorConfig(environment: NodeJS.ProcessEnv = process.env): GeneratorConfig {
  const values = parseConfig('generator', schema, environment);
  const maxOutputPixels = values.GENERATOR_MAX_OUTPUT_PIXELS;
  // A tile is one upscaler run, so tiles the upscaler would refuse are refused with the input instead.
  const largestRunTile = Math.floor(Math.sqrt(values.UPSCALER_MAX_WHOLE_IMAGE_PIXELS));
  const maxTileSize = values.GENERATOR_MAX_TILE_SIZE ?? Math.min(DEFAULT_GENERATOR_LIMITS.maxTileSize, largestRunTile);
  if (maxTileSize > largestRunTile) {
    throw new ConfigError(
      `generator: GENERATOR_MAX_TILE_SIZE ${maxTileSize} makes tiles larger than UPSCALER_MAX_WHOLE_IMAGE_PIXELS ` +
        `(${values.UPSCALER_MAX_WHOLE_IMAGE_PIXELS}) lets one run take: at most ${largestRunTile}`,
    );
  }
  return {
    images: {
      pipeline: { repo: values.GENERATOR_MODEL_REPO, revision: values.GENERATOR_MODEL_REVISION },
      upscaler: { repo: values.UPSCALER_REPO, revision: values.UPSCALER_REVISION, file: values.UPSCALER_FILE },
      clip: { repo: values.AESTHETIC_CLIP_REPO, revision: values.AESTHETIC_CLIP_REVISION },
      aestheticHead: { repo: values.AESTHETIC_HEAD_REPO, revision: values.AESTHETIC_HEAD_REVISION, file: values.AESTHETIC_HEAD_FILE },
      // Generated images are at most the base limit; CLIP resizes them to 224 anyway.
      clipImage: { maxPixels: values.GENERATOR_MAX_BASE_PIXELS },
      generatorLimits: { maxBasePixels: values.GENERATOR_MAX_BASE_PIXELS, maxOutputPixels, maxSteps: values.GENERATOR_MAX_STEPS, maxTileSize },
      upscalerLimits: { maxImageBytes: values.UPSCALER_MAX_IMAGE_BYTES, maxOutputPixels, maxTileSize },
      maxWholeImagePixels: values.UPSCALER_MAX_WHOLE_IMAGE_PIXELS,
      jpegQuality: values.GENERATOR_JPEG_QUALITY,
      fetch: imageFetchSettings('UPSCALER', values),
      runtime: loadModelRuntimeConfig(environment),
    },
    logLevel: values.LOG_LEVEL,
  };
}
