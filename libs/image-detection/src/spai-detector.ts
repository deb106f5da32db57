import { Tensor } from 'onnxruntime-node';
import {
  describeValues,
  ModelSignatureMismatchError,
  type ModelSession,
  type ModelSessions,
  type ModelStore,
  type PositionalSignature,
  type PositionalTensorSignature,
} from '@switchyard/model-runtime';
import type { ChwImage } from './chw-image';
import { SPAI_PATCH_SIZE, type PatchPlan } from './patches';
import { spaiPatches } from './spai-inputs';
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
}

export interface SpaiDetectOptions {
  /** Keep at most this many patches (evenly spaced); no cap unless told. */
  readonly maxPatches?: number;
  /** Stops the detection between runs, and cuts off a run in an inference thread. */
  readonly signal?: AbortSignal;
}

export interface SpaiDetection {
  /** sigmoid(logit): the probability that the image is AI-generated. */
  readonly score: number;
  readonly logit: number;
  readonly patchesUsed: number;
  readonly patchesTotal: number;
  readonly mode: PatchPlan['mode'];
}

export const DEFAULT_SPAI_ENCODER_BATCH_SIZE = 16;

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
 * (`spaiPatches`), the patch encoder run on them in batches, their features [1, L, 1096] in patch
 * order through the aggregator, and the logit's sigmoid. Either export form loads; the form is
 * told from the encoder's inputs, matched by position (the exporter does not pin tensor names).
 */
export class SpaiDetector {
  private constructor(
    readonly form: SpaiExportForm,
    readonly encoder: ModelSession,
    readonly aggregator: ModelSession,
    /** Patches per encoder run. */
    readonly encoderBatchSize: number,
    /** The caller-side spectral split of the `--exclude-preprocessing` form; none for the default form. */
    private readonly filter: SpectralFilter | undefined,
  ) {}

  static async load(store: ModelStore, sessions: ModelSessions, source: SpaiSource, options: SpaiDetectorOptions = {}): Promise<SpaiDetector> {
    const batchSize = options.encoderBatchSize ?? DEFAULT_SPAI_ENCODER_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`encoderBatchSize must be a positive integer, got ${batchSize}`);
    const folder = source.folder ?? SPAI_FOLDERS.default;
    const files = [`${folder}/${SPAI_ENCODER_FILE}`, `${folder}/${SPAI_AGGREGATOR_FILE}`];
    const resolved = await store.resolve({ repo: source.repo, revision: source.revision, files });
    const [encoder, aggregator] = await Promise.all(resolved.files.map(({ file, path }) => sessions.load(path, { name: `${source.repo}/${file}` })));
    const form = encoderForm(encoder);
    checkAggregator(aggregator);
    // A graph exported with a fixed batch (SPAI documents [1, 3, 224, 224]) takes that many patches per run.
    const fixedBatch = encoder.inputs[0].isTensor ? encoder.inputs[0].shape[0] : undefined;
    const perRun = typeof fixedBatch === 'number' ? Math.min(batchSize, fixedBatch) : batchSize;
    return new SpaiDetector(form, encoder, aggregator, perRun, form === 'exclude-preprocessing' ? new SpectralFilter(SPAI_PATCH_SIZE) : undefined);
  }

  async detect(image: ChwImage, options: SpaiDetectOptions = {}): Promise<SpaiDetection> {
    const { signal } = options;
    signal?.throwIfAborted();
    const { plan, patches } = spaiPatches(image, { maxPatches: options.maxPatches });
    const patchValues = 3 * SPAI_PATCH_SIZE * SPAI_PATCH_SIZE;
    const features = new Float32Array(plan.used * SPAI_FEATURE_DIM);
    for (let start = 0; start < plan.used; start += this.encoderBatchSize) {
      signal?.throwIfAborted();
      const count = Math.min(this.encoderBatchSize, plan.used - start);
      // A copy: an inference thread takes over the buffers it is sent.
      const batch = patches.slice(start * patchValues, (start + count) * patchValues);
      const inputs = this.filter ? this.bands(batch, count) : [batch];
      const encoded = await this.runOne(this.encoder, inputs, [count, 3, SPAI_PATCH_SIZE, SPAI_PATCH_SIZE], count * SPAI_FEATURE_DIM, signal);
      features.set(encoded, start * SPAI_FEATURE_DIM);
    }
    signal?.throwIfAborted();
    const [logit] = await this.runOne(this.aggregator, [features], [1, plan.used, SPAI_FEATURE_DIM], 1, signal);
    return { score: sigmoid(logit), logit, patchesUsed: plan.used, patchesTotal: plan.total, mode: plan.mode };
  }

  /** The `--exclude-preprocessing` encoder's inputs, in its order: x, x_low, x_high. */
  private bands(batch: Float32Array, count: number): Float32Array[] {
    const { x, xLow, xHigh } = this.filter!.encoderInputs(batch, count);
    return [x, xLow, xHigh];
  }

  /** Feeds `inputs` to the session's inputs in order and returns its first output, checking its size. */
  private async runOne(session: ModelSession, inputs: readonly Float32Array[], dims: number[], size: number, signal?: AbortSignal): Promise<Float32Array> {
    const feeds = Object.fromEntries(session.inputs.map((input, index) => [input.name, new Tensor('float32', inputs[index], dims)]));
    const outputs = await session.run(feeds, undefined, { cutOff: signal });
    const data = outputs[session.outputs[0].name].data as Float32Array;
    if (data.length !== size)
      throw new ModelSignatureMismatchError(session.name, [`output 0 has ${data.length} values for input [${dims.join(', ')}], expected ${size}`]);
    return data;
  }
}
