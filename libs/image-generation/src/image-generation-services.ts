import { AestheticPredictor, type AestheticHeadSource, type ClipImageOptions, type ModelSource } from '@switchyard/embeddings';
import { loadModels, type ModelRuntimeConfig, type ModelSessions } from '@switchyard/model-runtime';
import { ImageLoader, type ImageFetchSettings } from '@switchyard/outbound';
import type { GeneratorLimits, UpscalerLimits } from '@switchyard/shared';
import { DiffusionPipeline, type PipelineSource } from './diffusion';
import { GeneratorService } from './generator-service';
import { RealEsrganUpscaler, type UpscalerSource } from './upscaling';
import { UpscalerService } from './upscaler-service';

export interface ImageGenerationConfig {
  readonly pipeline: PipelineSource;
  readonly upscaler: UpscalerSource;
  /** CLIP ViT-B/32, whose image embedding the aesthetic head rates. */
  readonly clip: ModelSource;
  readonly aestheticHead: AestheticHeadSource;
  readonly clipImage: ClipImageOptions;
  readonly generatorLimits: GeneratorLimits;
  readonly upscalerLimits: UpscalerLimits;
  /** The largest image upscaled in one piece (`use_tiled_upscale: false`). */
  readonly maxWholeImagePixels: number;
  readonly jpegQuality: number;
  readonly fetch: ImageFetchSettings;
  readonly runtime: ModelRuntimeConfig;
}

/** The services of the queues a worker serves; one not served has none of its models loaded. */
export interface ImageGenerationServices {
  readonly generator?: GeneratorService;
  readonly upscaler?: UpscalerService;
  /** Releases the models and ends the inference threads. */
  close(): Promise<void>;
}

export interface ServedQueues {
  readonly generator: boolean;
  readonly upscaler: boolean;
}

type Logger = Parameters<typeof loadModels>[1];

/**
 * Loads, checks and warms up the models of the queues served, in the inference threads, before the
 * worker takes a job: the diffusion pipeline and the aesthetic predictor for `generator`, and
 * Real-ESRGAN, shared by both queues.
 */
export async function loadImageGenerationServices(config: ImageGenerationConfig, logger: Logger, served: ServedQueues): Promise<ImageGenerationServices> {
  return loadModels(config.runtime, logger, async (store, sessions: ModelSessions) => {
    const upscaler = await RealEsrganUpscaler.load(store, sessions, config.upscaler, { maxWholeImagePixels: config.maxWholeImagePixels });
    const executionProvider = sessions.executionProviders[0];
    const generator = served.generator
      ? new GeneratorService(
          {
            pipeline: await DiffusionPipeline.load(store, sessions, config.pipeline),
            upscaler,
            aesthetic: await AestheticPredictor.load(store, sessions, config.clip, config.aestheticHead, config.clipImage),
          },
          { limits: config.generatorLimits, maxWholeImagePixels: config.maxWholeImagePixels, jpegQuality: config.jpegQuality, executionProvider },
        )
      : undefined;
    const upscalerService = served.upscaler
      ? new UpscalerService(upscaler, new ImageLoader({ maxBytes: config.upscalerLimits.maxImageBytes, ...config.fetch }), {
          limits: config.upscalerLimits,
          jpegQuality: config.jpegQuality,
          executionProvider,
        })
      : undefined;
    return { generator, upscaler: upscalerService, close: () => sessions.release() };
  });
}
