import { Tensor } from 'onnxruntime-node';
import {
  describeValues,
  MicroBatcher,
  ModelSignatureMismatchError,
  type MicroBatcherStats,
  type ModelSession,
  type ModelSessions,
  type ModelStore,
  type PositionalSignature,
  type PositionalTensorSignature,
} from '@switchyard/model-runtime';
import type { ChwImage } from './chw-image';
import { copyPatch, SPAI_PATCH_SIZE, type PatchOrigin, type PatchPlan } from './patches';
import { spaiPatchPlan } from './spai-inputs';
import { SpectralFilter } from './spectral-filter';

/** The width of one patch's feature vector, which the encoder gives and the aggregator takes. */
export const SPAI_FEATURE_DIM = 1096;

/** The two graphs of `python -m spai export-onnx`, in the folder of the export form. */
export const SPAI_ENCODER_FILE = 'patch_encoder.onnx';
export const SPAI_AGGREGATOR_FILE = 'patch_aggregator.onnx';

/** Where each export form lives in a model repository (see docs/models.md). */
export const SPAI_FOLDERS = { default: 'onnx', excludePreprocessing: 'exclude-preprocessing/onnx' } as const;

/** `default`: the spectral split inside the encoder; `exclude-preprocessing`: (x, x_low, x_high) fed from outside. */
export type SpaiExportForm = 'default' | 'exclude-preprocessing';

/** Which SPAI export to load: a repository (or a folder of the model store), at a revision, and the form's folder in it. */
export interface SpaiSource {
  readonly repo: string;
  readonly revision?: string;
  /** The folder holding the two graphs: `onnx` unless told (`exclude-preprocessing/onnx` for the other form). */
  readonly folder?: string;
}

export interface SpaiDetectorOptions {
  /** At most this many patches per encoder run; 16 unless told (1 when the graph fixes its batch at 1). */
  readonly encoderBatchSize?: number;
  /** How long the oldest queued patch waits for its encoder batch to fill; 0 (run what is queued) unless told. */
  readonly batchWaitMs?: number;
  /** Patches waiting for the encoder beyond this are refused (BatcherOverloadedError); 8192 unless told. */
  readonly maxQueuedPatches?: number;
}

export interface SpaiDetectOptions {
  /** Keep at most this many patches (evenly spaced); no cap unless told. */
  readonly maxPatches?: number;
  /** Drops the image's queued patches, and cuts off a run in an inference thread. */
  readonly signal?: AbortSignal;
}

export interface SpaiDetection {
  /** sigmoid(logit): the probability that the image is AI-generated. */
  readonly score: number;
  readonly logit: number;
  readonly patchesUsed: number;
  readonly patchesTotal: number;
  readonly mode: PatchPlan['mode'];
  /** Wall time from queueing the patches to having all their features, batches shared with other images included. */
  readonly encoderMs: number;
  readonly aggregatorMs: number;
}

/** Time spent in each stage over every batch since start-up, for /health and benchmarks. */
export interface SpaiStageTotals {
  readonly batches: number;
  readonly patches: number;
  /** Copying patches out of images, and the spectral split of the `--exclude-preprocessing` form. */
  readonly preparingMs: number;
  readonly encoderMs: number;
  readonly aggregations: number;
  readonly aggregatorMs: number;
}

/** One patch waiting for the encoder: where it lies in its (padded) image. */
interface QueuedPatch {
  readonly image: ChwImage;
  readonly origin: PatchOrigin;
}

export const DEFAULT_SPAI_ENCODER_BATCH_SIZE = 16;
export const DEFAULT_SPAI_MAX_QUEUED_PATCHES = 8192;

const PATCH: PositionalTensorSignature = { type: 'float32', shape: ['batch', 3, SPAI_PATCH_SIZE, SPAI_PATCH_SIZE] };
const FEATURES: PositionalTensorSignature = { type: 'float32', shape: ['batch', SPAI_FEATURE_DIM] };

/** The encoder of each export form, told apart by its number of inputs. */
const ENCODER_FORMS: ReadonlyMap<number, { form: SpaiExportForm; signature: PositionalSignature }> = new Map([
  [1, { form: 'default', signature: { inputs: [PATCH], outputs: [FEATURES] } }],
  [3, { form: 'exclude-preprocessing', signature: { inputs: [PATCH, PATCH, PATCH], outputs: [FEATURES] } }],
]);

const AGGREGATOR: PositionalSignature = {
  inputs: [{ type: 'float32', shape: ['batch', 'patches', SPAI_FEATURE_DIM] }],
  outputs: [{ type: 'float32', shape: ['batch', 1] }],
};

/** 1 / (1 + e^−x) without overflow: e^x / (1 + e^x) for negative x, so large |x| give 0 or 1, never NaN. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function found(session: ModelSession): string {
  return `found inputs ${describeValues(session.inputs) || 'none'} and outputs ${describeValues(session.outputs) || 'none'}`;
}

function encoderForm(session: ModelSession): SpaiExportForm {
  const candidate = ENCODER_FORMS.get(session.inputs.length);
  const problems = candidate
    ? session.positionalMismatches(candidate.signature).map((problem) => `as the ${candidate.form} form: ${problem}`)
    : [`a SPAI patch encoder has 1 input (the default export) or 3 (--exclude-preprocessing), this graph has ${session.inputs.length}`];
  if (problems.length > 0) throw new ModelSignatureMismatchError(session.name, [...problems, found(session)]);
  return candidate!.form;
}

function checkAggregator(session: ModelSession): void {
  const problems = session.positionalMismatches(AGGREGATOR);
  if (problems.length > 0) throw new ModelSignatureMismatchError(session.name, [...problems, found(session)]);
}

/**
 * SPAI (CVPR 2025) from the two graphs of its ONNX export: the image cut into 224-pixel patches
 * (`spaiPatchPlan`), the patch encoder run on them in batches, their features
 * [1, L, 1096] in patch order through the aggregator, and the logit's sigmoid. Either export form
 * loads; the form is told from the encoder's inputs, matched by position (the exporter does not pin
 * tensor names).
 *
 * The patches of concurrent detections share encoder batches through one micro-batcher that shares
 * each batch across images (`fairGroups`): the oldest image always advances, and the images with
 * the fewest patches left fill the rest, so a small image is not kept behind a large one's hundreds
 * of patches, and images of one size finish one after another rather than all at the end. Patches are copied out of their image only when their batch runs, so a queued image
 * costs its decoded size, not its patches' (a float copy of every patch would be 4× more).
 */
export class SpaiDetector {
  private readonly batcher: MicroBatcher<QueuedPatch, Float32Array>;
  private totals = { batches: 0, patches: 0, preparingMs: 0, encoderMs: 0, aggregations: 0, aggregatorMs: 0 };

  private constructor(
    readonly form: SpaiExportForm,
    readonly encoder: ModelSession,
    readonly aggregator: ModelSession,
    /** The commit the graphs' files belong to; null for a model folder, which has no revisions. */
    readonly revision: string | null,
    /** Patches per encoder run. */
    readonly encoderBatchSize: number,
    /** The caller-side spectral split of the `--exclude-preprocessing` form; none for the default form. */
    private readonly filter: SpectralFilter | undefined,
    options: SpaiDetectorOptions,
  ) {
    this.batcher = new MicroBatcher({
      name: encoder.name,
      runBatch: (patches) => this.encode(patches),
      maxBatchSize: encoderBatchSize,
      maxWaitMs: options.batchWaitMs ?? 0,
      maxQueued: options.maxQueuedPatches ?? DEFAULT_SPAI_MAX_QUEUED_PATCHES,
      fairGroups: true,
    });
  }

  /** Loads both graphs of the export in `source`, checks them, and runs each once so that the first image does not pay for initialisation. */
  static async load(store: ModelStore, sessions: ModelSessions, source: SpaiSource, options: SpaiDetectorOptions = {}): Promise<SpaiDetector> {
    const batchSize = options.encoderBatchSize ?? DEFAULT_SPAI_ENCODER_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`encoderBatchSize must be a positive integer, got ${batchSize}`);
    const folder = source.folder ?? SPAI_FOLDERS.default;
    const files = [`${folder}/${SPAI_ENCODER_FILE}`, `${folder}/${SPAI_AGGREGATOR_FILE}`];
    const resolved = await store.resolve({ repo: source.repo, revision: source.revision, files });
    const [encoder, aggregator] = await Promise.all(resolved.files.map(({ file, path }) => sessions.load(path, { name: `${source.repo}/${file}` })));
    const form = encoderForm(encoder);
    checkAggregator(aggregator);
    await encoder.warmUp();
    await aggregator.warmUp();
    // A graph exported with a fixed batch (SPAI documents [1, 3, 224, 224]) takes that many patches per run.
    const fixedBatch = encoder.inputs[0].isTensor ? encoder.inputs[0].shape[0] : undefined;
    const perRun = typeof fixedBatch === 'number' ? Math.min(batchSize, fixedBatch) : batchSize;
    const filter = form === 'exclude-preprocessing' ? new SpectralFilter(SPAI_PATCH_SIZE) : undefined;
    return new SpaiDetector(form, encoder, aggregator, resolved.revision, perRun, filter, options);
  }

  /** `image` is RGB, CHW, in [0, 1] (floats, or 8-bit samples read as / 255). */
  async detect(image: ChwImage, options: SpaiDetectOptions = {}): Promise<SpaiDetection> {
    const { signal } = options;
    signal?.throwIfAborted();
    const { padded, plan } = spaiPatchPlan(image, { maxPatches: options.maxPatches });

    const queued = performance.now();
    const patches = plan.origins.map((origin) => ({ item: { image: padded, origin } }));
    const encoded = await this.batcher.submitAll(patches, { signal, group: patches });
    const encoderMs = performance.now() - queued;

    const features = new Float32Array(plan.used * SPAI_FEATURE_DIM);
    encoded.forEach((patchFeatures, index) => features.set(patchFeatures, index * SPAI_FEATURE_DIM));
    signal?.throwIfAborted();
    const aggregating = performance.now();
    const [logit] = await this.runOne(this.aggregator, [features], [1, plan.used, SPAI_FEATURE_DIM], 1, signal);
    const aggregatorMs = performance.now() - aggregating;
    this.totals.aggregations += 1;
    this.totals.aggregatorMs += aggregatorMs;
    return { score: sigmoid(logit), logit, patchesUsed: plan.used, patchesTotal: plan.total, mode: plan.mode, encoderMs, aggregatorMs };
  }

  stats(): SpaiStageTotals & { batching: MicroBatcherStats } {
    return { ...this.totals, batching: this.batcher.stats() };
  }

  /** Encodes the queued patches still waiting, then refuses new images. */
  close(): Promise<void> {
    return this.batcher.close();
  }

  /** One encoder batch: the patches copied out of their images, and split into bands for the `--exclude-preprocessing` form. */
  private async encode(queued: readonly QueuedPatch[]): Promise<Float32Array[]> {
    // The inference thread takes runs in order: first let the images whose last patches the batch
    // before encoded send their aggregator runs, which would otherwise wait out this whole batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const preparing = performance.now();
    const count = queued.length;
    const batch = new Float32Array(count * 3 * SPAI_PATCH_SIZE * SPAI_PATCH_SIZE);
    queued.forEach(({ image, origin }, index) => copyPatch(image, origin, batch, index));
    const inputs = this.filter ? this.bands(batch, count) : [batch];
    const encoding = performance.now();
    const features = await this.runOne(this.encoder, inputs, [count, 3, SPAI_PATCH_SIZE, SPAI_PATCH_SIZE], count * SPAI_FEATURE_DIM);
    this.totals.batches += 1;
    this.totals.patches += count;
    this.totals.preparingMs += encoding - preparing;
    this.totals.encoderMs += performance.now() - encoding;
    return queued.map((_, index) => features.subarray(index * SPAI_FEATURE_DIM, (index + 1) * SPAI_FEATURE_DIM));
  }

  /** The `--exclude-preprocessing` encoder's inputs, in its order: x, x_low, x_high. */
  private bands(batch: Float32Array, count: number): Float32Array[] {
    const { x, xLow, xHigh } = this.filter!.encoderInputs(batch, count);
    return [x, xLow, xHigh];
  }

  /** Feeds `inputs` to the session's inputs in order and returns its first output, checking its size. */
  private async runOne(session: ModelSession, inputs: readonly Float32Array[], dims: number[], size: number, signal?: AbortSignal): Promise<Float32Array> {
    const feeds = Object.fromEntries(session.inputs.map((input, index) => [input.name, new Tensor('float32', inputs[index], dims)]));
    const outputs = await session.run(feeds, undefined, signal ? { cutOff: signal } : undefined);
    const data = outputs[session.outputs[0].name].data as Float32Array;
    if (data.length !== size)
      throw new ModelSignatureMismatchError(session.name, [`output 0 has ${data.length} values for input [${dims.join(', ')}], expected ${size}`]);
    return data;
  }
}
