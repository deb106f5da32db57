import { loadModels, type ModelRuntimeConfig, type ModelSessions } from '@switchyard/model-runtime';
import { ImageInputError, ImageLoader, type ImageFetchSettings } from '@switchyard/outbound';
import {
  createSpaiContract,
  inputRefusal,
  isImageUrl,
  SPAI_HEALTH_OUTPUT,
  SPAI_IMAGE_KEYS,
  type Logger,
  type SpaiDetectionOutput,
  type SpaiInput,
  type SpaiLimits,
  type SpaiOutput,
} from '@switchyard/shared';
import { decodeSpaiImage } from './decode';
import { SpaiDetector, type SpaiDetectorOptions, type SpaiSource } from './spai-detector';

export interface SpaiServiceConfig {
  readonly model: SpaiSource;
  /** Reported as `model_version`; `<repo>@<revision>` of the loaded files unless told. */
  readonly modelVersion?: string;
  readonly limits: SpaiLimits;
  /** Width × height allowed, checked from the header before decoding. */
  readonly maxPixels: number;
  readonly fetch: ImageFetchSettings;
  /** `is_ai_generated` when score ≥ this, unless a request gives its own. */
  readonly threshold: number;
  /** Patches per image at most (evenly spaced past it); SPAI itself has no cap. */
  readonly maxPatches: number;
  readonly batching: Required<SpaiDetectorOptions>;
  readonly runtime: ModelRuntimeConfig;
}

/** What a job returns for input the client must fix: RunPod fails the job with this `error`. */
export interface SpaiFailure {
  error: string;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * The `spai` endpoint's work: the seed handler's input in, a verdict out. The image is fetched
 * (with the platform's SSRF-safe client) or decoded from base64, decoded as the reference does,
 * and run through the SPAI detector, whose encoder batches are shared with concurrent jobs.
 */
export class SpaiService {
  private readonly contract: ReturnType<typeof createSpaiContract>;

  constructor(
    readonly detector: SpaiDetector,
    private readonly sessions: ModelSessions,
    private readonly loader: ImageLoader,
    private readonly config: Omit<SpaiServiceConfig, 'model' | 'runtime' | 'batching'> & { modelVersion: string },
  ) {
    this.contract = createSpaiContract(config.limits);
  }

  /** Loads, checks and warms up SPAI's two graphs (files through the model store) in the inference threads. */
  static async load(config: SpaiServiceConfig, logger: Logger): Promise<SpaiService> {
    return loadModels(config.runtime, logger, async (store, sessions) => {
      const detector = await SpaiDetector.load(store, sessions, config.model, config.batching);
      const loader = new ImageLoader({ maxBytes: config.limits.maxImageBytes, ...config.fetch });
      const modelVersion = config.modelVersion ?? `${config.model.repo}@${detector.revision ?? 'local'}`;
      return new SpaiService(detector, sessions, loader, { ...config, modelVersion });
    });
  }

  async handle(input: SpaiInput, signal: AbortSignal): Promise<SpaiOutput | SpaiFailure> {
    const started = performance.now();
    // The gateway checked the contract's default limits; this worker may be configured lower.
    const parsed = this.contract.input.safeParse(input);
    if (!parsed.success) return inputRefusal(parsed.error);
    const request = parsed.data;
    if (request.health_check === true) return { ...SPAI_HEALTH_OUTPUT };

    const key = SPAI_IMAGE_KEYS.find((candidate) => request[candidate] !== undefined)!;
    const value = request[key]!;
    const download = key === 'image_url' || (key === 'image' && isImageUrl(value));
    try {
      const fetching = performance.now();
      const bytes = download ? await this.loader.download(value) : this.loader.decodeBase64(value);
      const decoding = performance.now();
      const image = await decodeSpaiImage(bytes, { maxPixels: this.config.maxPixels });
      const decoded = performance.now();
      const maxPatches = Math.min(request.max_patches ?? this.config.maxPatches, this.config.maxPatches);
      const detection = await this.detector.detect(image, { maxPatches, signal });
      return this.verdict(detection, image, request.threshold ?? this.config.threshold, started, {
        ...(download ? { fetch: round(decoding - fetching) } : {}),
        decode: round(decoded - decoding),
        encoder: round(detection.encoderMs),
        aggregator: round(detection.aggregatorMs),
      });
    } catch (error) {
      // The seed's messages as they are ("Failed to download image: 404 Not Found").
      if (error instanceof ImageInputError) return { error: error.message };
      throw error;
    }
  }

  /** Facts for the worker's /health: what is loaded, where it runs, time per stage, how batching goes. */
  describe(): Record<string, unknown> {
    const { detector } = this;
    return {
      executionProvider: this.sessions.executionProviders[0],
      inferenceThreads: this.sessions.inferenceThreads,
      model: {
        version: this.config.modelVersion,
        form: detector.form,
        encoder: detector.encoder.name,
        aggregator: detector.aggregator.name,
        executionProvider: detector.encoder.provider,
        encoderBatchSize: detector.encoderBatchSize,
        maxPatches: this.config.maxPatches,
      },
      stages: detector.stats(),
    };
  }

  /** Finishes the queued patches, then releases the models and ends the inference threads. */
  async close(): Promise<void> {
    await this.detector.close();
    await this.sessions.release();
  }

  private verdict(
    detection: Awaited<ReturnType<SpaiDetector['detect']>>,
    image: { width: number; height: number },
    threshold: number,
    started: number,
    timings: SpaiDetectionOutput['timings_ms'],
  ): SpaiDetectionOutput {
    const { score } = detection;
    const isAi = score >= threshold;
    return {
      is_ai_generated: isAi,
      score,
      label: isAi ? 'ai_generated' : 'authentic',
      probabilities: { ai_generated: score, authentic: 1 - score },
      threshold,
      model: 'spai',
      model_version: this.config.modelVersion,
      image_size: { width: image.width, height: image.height },
      patch_mode: detection.mode,
      patches_used: detection.patchesUsed,
      patches_total: detection.patchesTotal,
      patches_capped: detection.patchesUsed < detection.patchesTotal,
      latency_ms: round(performance.now() - started),
      timings_ms: timings,
      execution_provider: this.detector.encoder.provider,
    };
  }
}
