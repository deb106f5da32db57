import { resolve } from 'node:path';
import { InferenceSession, Tensor, listSupportedBackends } from 'onnxruntime-node';
import { ExecutionProviderUnavailableError, ModelLoadError, ModelSignatureMismatchError, WarmUpUnsupportedError } from './errors';
import { type ModelSignature, signatureMismatches } from './model-signature';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface ModelSessionsOptions {
  /** In order of preference, e.g. `['cuda', 'cpu']` on GPU nodes and `['cpu']` elsewhere. */
  executionProviders: readonly string[];
  intraOpNumThreads?: number;
  /** Threads running independent parts of the graph at once; above 1 it switches on parallel execution. */
  interOpNumThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
}

export interface LoadModelOptions {
  /** A name for messages (e.g. `owner/model/model.onnx`), kept by the session this load creates; the path when left out. */
  name?: string;
  /** Checked on every load; a mismatch throws ModelSignatureMismatchError. */
  signature?: ModelSignature;
}

export interface WarmUpOptions {
  /** Sizes for named dynamic dimensions (`{ batch: 1, sequence: 16 }`); others get their size from `signature`, else 1. */
  dims?: Readonly<Record<string, number>>;
  /** Checked before running; its fixed sizes fill in the model's dynamic dimensions. */
  signature?: ModelSignature;
}

/** The library's own list of what the binary can do; a provider missing from it can never load. */
export function assertExecutionProvidersSupported(
  requested: readonly string[],
  supported: readonly { name: string }[] = listSupportedBackends(),
): void {
  if (requested.length === 0) throw new TypeError('At least one execution provider must be configured');
  const names = supported.map((backend) => backend.name);
  for (const provider of requested) {
    if (!names.includes(provider)) {
      throw new ExecutionProviderUnavailableError(provider, `this onnxruntime-node build supports ${names.join(', ')}`);
    }
  }
}

// onnxruntime-node lists `cuda` and `tensorrt` as supported on Linux x64 although their libraries
// are separate downloads (its install script fetches them unless ONNXRUNTIME_NODE_INSTALL=skip):
// the failure to load them only shows when a session is created.
const PROVIDER_LOAD_FAILURE = /AppendExecutionProvider_(\w+)/;
const WEBGPU_FAILURE = /webgpu/i;

function providerFailure(error: unknown, requested: readonly string[]): ExecutionProviderUnavailableError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const provider = PROVIDER_LOAD_FAILURE.exec(message)?.[1]?.toLowerCase() ?? (WEBGPU_FAILURE.test(message) ? 'webgpu' : undefined);
  if (!provider || !requested.includes(provider)) return undefined;
  return new ExecutionProviderUnavailableError(provider, `onnxruntime could not start it: ${message.trim()}`);
}

function zeros(type: Tensor.Type, size: number): Tensor.DataType | undefined {
  switch (type) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'float16':
    case 'uint16':
      return new Uint16Array(size);
    case 'int8':
      return new Int8Array(size);
    case 'uint8':
    case 'bool':
      return new Uint8Array(size);
    case 'int16':
      return new Int16Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'uint32':
      return new Uint32Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'uint64':
      return new BigUint64Array(size);
    case 'string':
      return new Array<string>(size).fill('');
    default:
      return undefined;
  }
}

/** One loaded model: an onnxruntime InferenceSession with its metadata. */
export class ModelSession {
  constructor(
    readonly name: string,
    readonly path: string,
    /** The providers the session was created with, in order of preference. */
    readonly executionProviders: readonly string[],
    private readonly session: InferenceSession,
  ) {}

  /** The preferred provider, which runs every node it supports (the others fall back to the next ones). */
  get provider(): string {
    return this.executionProviders[0];
  }

  get inputs(): readonly InferenceSession.ValueMetadata[] {
    return this.session.inputMetadata;
  }

  get outputs(): readonly InferenceSession.ValueMetadata[] {
    return this.session.outputMetadata;
  }

  run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions): Promise<InferenceSession.ReturnType> {
    return this.session.run(feeds, options);
  }

  checkSignature(expected: ModelSignature): void {
    const mismatches = signatureMismatches(this.session, expected);
    if (mismatches.length > 0) throw new ModelSignatureMismatchError(this.name, mismatches);
  }

  /**
   * Runs the model once on zeros shaped after its inputs, so that the first real request does not pay
   * for initialisation; returns that run's outputs.
   */
  async warmUp(options: WarmUpOptions = {}): Promise<InferenceSession.ReturnType> {
    if (options.signature) this.checkSignature(options.signature);
    const feeds: Record<string, Tensor> = {};
    for (const input of this.inputs) {
      if (!input.isTensor) throw new WarmUpUnsupportedError(this.name, input.name, 'is not a tensor');
      const expected = options.signature?.inputs.find((value) => value.name === input.name)?.shape;
      const dims = input.shape.map((dim, axis) => {
        if (typeof dim === 'number') return dim;
        const fromSignature = expected?.[axis];
        return options.dims?.[dim] ?? (typeof fromSignature === 'number' ? fromSignature : 1);
      });
      const data = zeros(input.type, dims.reduce((product, dim) => product * dim, 1));
      if (!data) throw new WarmUpUnsupportedError(this.name, input.name, `has element type ${input.type}, which has no dummy value`);
      feeds[input.name] = new Tensor(input.type, data, dims);
    }
    return this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The process's model sessions: one InferenceSession per model file, created on first use (also
 * when many callers ask at once) and shared afterwards.
 */
export class ModelSessions {
  private readonly sessions = new Map<string, Promise<ModelSession>>();

  constructor(private readonly options: ModelSessionsOptions) {
    assertExecutionProvidersSupported(options.executionProviders);
  }

  get executionProviders(): readonly string[] {
    return this.options.executionProviders;
  }

  async load(path: string, options: LoadModelOptions = {}): Promise<ModelSession> {
    const absolutePath = resolve(path);
    let pending = this.sessions.get(absolutePath);
    if (!pending) {
      const created = this.create(absolutePath, options.name ?? absolutePath);
      this.sessions.set(absolutePath, created);
      // A failed load is not kept: the next call tries again.
      created.catch(() => {
        if (this.sessions.get(absolutePath) === created) this.sessions.delete(absolutePath);
      });
      pending = created;
    }
    const session = await pending;
    if (options.signature) session.checkSignature(options.signature);
    return session;
  }

  /** Releases every session; later loads create new ones. */
  async release(): Promise<void> {
    const pending = [...this.sessions.values()];
    this.sessions.clear();
    const settled = await Promise.allSettled(pending);
    await Promise.all(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.release() : undefined)));
  }

  private async create(path: string, name: string): Promise<ModelSession> {
    const { executionProviders, intraOpNumThreads, interOpNumThreads, graphOptimizationLevel } = this.options;
    try {
      // onnxruntime-node rejects options that are present but undefined.
      const session = await InferenceSession.create(path, {
        executionProviders,
        ...(intraOpNumThreads !== undefined && { intraOpNumThreads }),
        // onnxruntime uses inter-op threads only in parallel execution mode.
        ...(interOpNumThreads !== undefined && { interOpNumThreads, executionMode: interOpNumThreads > 1 ? 'parallel' : 'sequential' }),
        ...(graphOptimizationLevel !== undefined && { graphOptimizationLevel }),
      });
      return new ModelSession(name, path, executionProviders, session);
    } catch (error) {
      throw providerFailure(error, executionProviders) ?? new ModelLoadError(name, error);
    }
  }
}
