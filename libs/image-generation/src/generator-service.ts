import { randomInt } from 'node:crypto';
import type { AestheticPredictor } from '@switchyard/embeddings';
import type { ChwImage } from '@switchyard/image-detection';
import {
  createGeneratorContract,
  inputRefusal,
  RANDOM_SEED,
  type ReportedJobError,
  type GeneratorLimits,
  type GeneratorOutput,
  type GeneratorRequest,
} from '@switchyard/shared';
import type { DiffusionPipeline, GenerationResult } from './diffusion';
import { encodeJpeg, encodePng } from './eight-bit';
import { UpscaleRefusedError, type RealEsrganUpscaler } from './upscaling';
import { WorkProgress, type ImageJob } from './work-progress';

export interface GeneratorSettings {
  readonly limits: GeneratorLimits;
  /** The most pixels the upscaler runs at once (an untiled image, or one tile): named in its refusals. */
  readonly maxWholeImagePixels: number;
  readonly jpegQuality: number;
  readonly executionProvider: string;
}

/** The models the generator's routes run on. */
export interface GeneratorModels {
  readonly pipeline: DiffusionPipeline;
  readonly upscaler: RealEsrganUpscaler;
  readonly aesthetic: AestheticPredictor;
}

/** Random seeds are drawn below 2^32, as the seed's examples are. */
const RANDOM_SEED_BOUND = 2 ** 32;

const milliseconds = (start: number) => Math.round(performance.now() - start);

/** The seed's model name: the pipeline's repository without its owner. */
function modelName(repo: string): string {
  return repo.slice(repo.lastIndexOf('/') + 1);
}

/**
 * The `generator` endpoint's work, the seed's two routes: `create` generates and rates the image with
 * the LAION aesthetic predictor; `production` generates and upscales once with tiled Real-ESRGAN.
 * Every limit is checked before any model runs, and progress is reported per step and per tile.
 */
export class GeneratorService {
  private readonly contract: ReturnType<typeof createGeneratorContract>;

  constructor(
    readonly models: GeneratorModels,
    private readonly settings: GeneratorSettings,
  ) {
    this.contract = createGeneratorContract(settings.limits);
  }

  async handle(input: GeneratorRequest, job: ImageJob): Promise<GeneratorOutput | ReportedJobError> {
    // The gateway checked the contract's default limits; this worker may be configured lower.
    const parsed = this.contract.input.safeParse(input);
    if (!parsed.success) return inputRefusal(parsed.error);
    const request = parsed.data;
    const { pipeline, upscaler } = this.models;
    if (request.width % pipeline.sizeMultiple !== 0 || request.height % pipeline.sizeMultiple !== 0) {
      return { error: `width and height must be multiples of ${pipeline.sizeMultiple} for ${pipeline.repo}` };
    }
    const production = request.route === 'production';
    const tileSize = production && request.use_tiled_upscale ? request.tile_size : undefined;
    let tiles = 0;
    if (production) {
      // The upscaler's own checks (the size of one run, above all), before anything is generated.
      try {
        tiles = upscaler.tileCount(request.width, request.height, tileSize);
      } catch (error) {
        if (!(error instanceof UpscaleRefusedError)) throw error;
        if (error.option === 'tileSize' && tileSize === undefined) {
          const { width, height } = request;
          return {
            error: `use_tiled_upscale: ${width}×${height} is over the ${this.settings.maxWholeImagePixels} pixels this worker upscales in one piece; use tiled upscaling`,
          };
        }
        return { error: `${error.option === 'tileSize' ? 'tile_size' : 'upscale_factor'}: ${error.message}` };
      }
    }
    const progress = new WorkProgress(job, production ? { denoise: request.steps, upscale: tiles } : { denoise: request.steps });

    const seed = request.seed === RANDOM_SEED ? randomInt(RANDOM_SEED_BOUND) : request.seed;
    const generated = await pipeline.generate(
      {
        prompt: request.prompt,
        negativePrompt: request.negative_prompt,
        width: request.width,
        height: request.height,
        steps: request.steps,
        guidanceScale: request.cfg_scale,
        seed,
      },
      { signal: job.signal, cutOff: job.cutOff, onStep: (step, steps) => progress.report('denoise', step, steps) },
    );
    const common = this.commonMetadata(request, seed, generated);

    if (!production) {
      const rating = performance.now();
      const aestheticScore = await this.models.aesthetic.score(await encodePng(generated.image));
      const aestheticMs = milliseconds(rating);
      const { image, encodeMs } = await this.jpeg(generated.image);
      return {
        route: 'create',
        image,
        aesthetic_score: aestheticScore,
        metadata: {
          ...common,
          width: request.width,
          height: request.height,
          filename: request.filename ?? null,
          timings_ms: { ...common.timings_ms, aesthetic: aestheticMs, encode: encodeMs },
        },
      };
    }

    const upscaling = performance.now();
    const upscaled = await upscaler.upscale(generated.image, {
      tileSize,
      outscale: request.upscale_factor,
      signal: job.signal,
      cutOff: job.cutOff,
      onTile: (done, total) => progress.report('upscale', done, total),
    });
    const upscaleMs = milliseconds(upscaling);
    const { image, encodeMs } = await this.jpeg(upscaled);
    return {
      route: 'production',
      image,
      metadata: {
        ...common,
        base_width: request.width,
        base_height: request.height,
        final_width: upscaled.width,
        final_height: upscaled.height,
        upscale_factor: request.upscale_factor,
        upscaler: upscaler.name,
        tiles,
        filename: request.filename ?? null,
        timings_ms: { ...common.timings_ms, upscale: upscaleMs, encode: encodeMs },
      },
    };
  }

  /** Facts for the worker's /health: the models and where they run. */
  describe(): Record<string, unknown> {
    return {
      executionProvider: this.settings.executionProvider,
      pipeline: this.models.pipeline.describe(),
      upscaler: this.models.upscaler.describe(),
      aesthetic: this.models.aesthetic.name,
      limits: this.settings.limits,
    };
  }

  private commonMetadata(request: GeneratorRequest, seed: number, generated: GenerationResult) {
    const { pipeline } = this.models;
    return {
      prompt: request.prompt,
      negative_prompt: request.negative_prompt,
      seed,
      steps: request.steps,
      cfg_scale: request.cfg_scale,
      model: modelName(pipeline.repo),
      scheduler: pipeline.schedulerName,
      prompt_truncated: generated.promptTruncated,
      negative_prompt_truncated: generated.negativePromptTruncated,
      timings_ms: {
        encode_prompt: Math.round(generated.timingsMs.encodePrompt),
        denoise: Math.round(generated.timingsMs.denoise),
        decode: Math.round(generated.timingsMs.decode),
      },
      execution_provider: this.settings.executionProvider,
    };
  }

  private async jpeg(image: ChwImage): Promise<{ image: string; encodeMs: number }> {
    const encoding = performance.now();
    const bytes = await encodeJpeg(image, this.settings.jpegQuality);
    return { image: bytes.toString('base64'), encodeMs: milliseconds(encoding) };
  }
}
