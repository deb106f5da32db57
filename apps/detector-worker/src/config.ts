import { z } from 'zod';
import { DEFAULT_SPAI_ENCODER_BATCH_SIZE, DEFAULT_SPAI_MAX_QUEUED_PATCHES, SPAI_FOLDERS, type SpaiServiceConfig } from '@switchyard/image-detection';
import { loadModelRuntimeConfig } from '@switchyard/model-runtime';
import { imageFetchSettings, imageFetchVariables } from '@switchyard/outbound';
import { DEFAULT_SPAI_LIMITS, env, parseConfig } from '@switchyard/shared';
import { DEFAULT_TEXT_DETECTOR_OPTIONS, loadTextModelRegistry, type TextDetectorServiceConfig } from '@switchyard/text-detection';

export interface DetectorWorkerConfig {
  spai: SpaiServiceConfig;
  textDetector: TextDetectorServiceConfig;
  logLevel: string;
}

const optionalSetting = z.preprocess((value) => (value === '' ? undefined : value), z.string().min(1).optional());

/**
 * A 12-megapixel photo (4032×3024) has 234 patches: the default cap keeps every patch of such
 * photos and an even sample of larger ones (a 48-megapixel photo has 936).
 */
const DEFAULT_MAX_PATCHES = 256;

const schema = z.object({
  SPAI_REPO: z.string().min(1).default('mever-team/spai'),
  SPAI_REVISION: z.string().min(1).default('main'),
  /** The folder of the export form in the repository: `onnx`, or `exclude-preprocessing/onnx`. */
  SPAI_FOLDER: z.string().min(1).default(SPAI_FOLDERS.default),
  SPAI_MODEL_VERSION: z.string().min(1).optional(),
  SPAI_THRESHOLD: z.coerce.number().gt(0).lt(1).default(0.5),
  SPAI_MAX_PATCHES: env.positiveInt(DEFAULT_MAX_PATCHES),
  SPAI_MAX_IMAGE_BYTES: env.positiveInt(DEFAULT_SPAI_LIMITS.maxImageBytes),
  SPAI_MAX_IMAGE_PIXELS: env.positiveInt(64_000_000),
  ...imageFetchVariables('SPAI'),
  SPAI_ENCODER_BATCH_SIZE: env.positiveInt(DEFAULT_SPAI_ENCODER_BATCH_SIZE),
  SPAI_BATCH_WAIT_MS: z.coerce.number().min(0).max(1000).default(2),
  SPAI_MAX_QUEUED_PATCHES: env.positiveInt(DEFAULT_SPAI_MAX_QUEUED_PATCHES),
  /** JSON of model ids to `{repo, revision?, file?, machineLabel, maxLength?, overlap?}` (or null to drop a built-in model). */
  TEXT_DETECTOR_MODELS: optionalSetting,
  /** A file holding the same JSON; TEXT_DETECTOR_MODELS is laid over it. */
  TEXT_DETECTOR_MODELS_FILE: optionalSetting,
  TEXT_DETECTOR_DEFAULT_MODEL: optionalSetting,
  TEXT_DETECTOR_THRESHOLD: z.coerce.number().gt(0).lt(1).default(0.5),
  TEXT_DETECTOR_MAX_WINDOWS: env.positiveInt(DEFAULT_TEXT_DETECTOR_OPTIONS.maxWindowsPerText),
  TEXT_DETECTOR_BATCH_SIZE: env.positiveInt(DEFAULT_TEXT_DETECTOR_OPTIONS.maxBatchSize),
  TEXT_DETECTOR_BATCH_WAIT_MS: z.coerce.number().min(0).max(1000).default(DEFAULT_TEXT_DETECTOR_OPTIONS.batchWaitMs),
  TEXT_DETECTOR_MAX_QUEUED_WINDOWS: env.positiveInt(DEFAULT_TEXT_DETECTOR_OPTIONS.maxQueuedWindows),
  LOG_LEVEL: env.logLevel(),
});

/** The detector worker's settings (see docs/models.md), read once at start-up. */
export function loadDetectorWorkerConfig(environment: NodeJS.ProcessEnv = process.env): DetectorWorkerConfig {
  const values = parseConfig('detector-worker', schema, environment);
  const runtime = loadModelRuntimeConfig(environment);
  return {
    spai: {
      model: { repo: values.SPAI_REPO, revision: values.SPAI_REVISION, folder: values.SPAI_FOLDER },
      modelVersion: values.SPAI_MODEL_VERSION,
      limits: { maxImageBytes: values.SPAI_MAX_IMAGE_BYTES },
      maxPixels: values.SPAI_MAX_IMAGE_PIXELS,
      fetch: imageFetchSettings('SPAI', values),
      threshold: values.SPAI_THRESHOLD,
      maxPatches: values.SPAI_MAX_PATCHES,
      batching: {
        encoderBatchSize: values.SPAI_ENCODER_BATCH_SIZE,
        batchWaitMs: values.SPAI_BATCH_WAIT_MS,
        // An image's patches are queued all at once or not at all, so the largest image must fit an idle worker.
        maxQueuedPatches: Math.max(values.SPAI_MAX_QUEUED_PATCHES, values.SPAI_MAX_PATCHES),
      },
      runtime,
    },
    textDetector: {
      registry: loadTextModelRegistry({
        json: values.TEXT_DETECTOR_MODELS,
        file: values.TEXT_DETECTOR_MODELS_FILE,
        defaultModel: values.TEXT_DETECTOR_DEFAULT_MODEL,
      }),
      threshold: values.TEXT_DETECTOR_THRESHOLD,
      detector: {
        maxBatchSize: values.TEXT_DETECTOR_BATCH_SIZE,
        batchWaitMs: values.TEXT_DETECTOR_BATCH_WAIT_MS,
        // A text's windows are queued all at once or not at all, so the longest text must fit an idle worker.
        maxQueuedWindows: Math.max(values.TEXT_DETECTOR_MAX_QUEUED_WINDOWS, values.TEXT_DETECTOR_MAX_WINDOWS),
        maxWindowsPerText: values.TEXT_DETECTOR_MAX_WINDOWS,
      },
      runtime,
    },
    logLevel: values.LOG_LEVEL,
  };
}
