import { resolve } from 'node:path';
import { type InferenceSession, Tensor, listSupportedBackends } from 'onnxruntime-node';
import { ExecutionProviderUnavailableError, ModelSignatureMismatchError, WarmUpUnsupportedError } from './errors';
import { InferencePool } from './inference-pool';
import { LocalSession, type ProviderUsage, type RunControl, type SessionBackend } from './local-session';
import { type ModelSignature, type PositionalSignature, positionalSignatureMismatches, signatureMismatches } from './model-signature';
import { sessionCreationError, type ModelSessionsOptions } from './session-options';

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
export function assertExecutionProvidersSupported(requested: readonly string[], supported: readonly { name: string }[] = listSupportedBackends()): void {
  if (requested.length === 0) throw new TypeError('At least one execution provider must be configured');
  const names = supported.map((backend) => backend.name);
  for (const provider of requested) {
    if (!names.includes(provider)) {
      throw new ExecutionProviderUnavailableError(provider, `this onnxruntime-node build supports ${names.join(', ')}`);
    }
  }
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

/**
 * One loaded model with its metadata: an onnxruntime InferenceSession on this thread, or one in
 * each thread of the inference pool. Either way `run` takes and gives tensors on this thread.
 */
export class ModelSession {
  constructor(
    readonly name: string,
    readonly path: string,
    /** The providers the session was created with, in order of preference. */
    readonly executionProviders: readonly string[],
    private readonly session: SessionBackend,
  ) {}

  /**
   * The provider that did most of the work of the first run (from onnxruntime's profile of it);
   * before any run, the preferred one, which runs every node it supports (the rest fall back to the next ones).
   */
  get provider(): string {
    return this.session.providerUsage?.provider ?? this.executionProviders[0];
  }

  /** Nodes of the first run by provider; undefined before any run. */
  get providerUsage(): ProviderUsage | undefined {
    return this.session.providerUsage;
  }

  get inputs(): readonly InferenceSession.ValueMetadata[] {
    return this.session.inputMetadata;
  }

  get outputs(): readonly InferenceSession.ValueMetadata[] {
    return this.session.outputMetadata;
  }

  run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions, control?: RunControl): Promise<InferenceSession.ReturnType> {
    return this.session.run(feeds, options, control);
  }

  checkSignature(expected: ModelSignature): void {
    const mismatches = signatureMismatches(this.session, expected);
    if (mismatches.length > 0) throw new ModelSignatureMismatchError(this.name, mismatches);
  }

  /** How the model's inputs and outputs differ, by position, from `expected` (see `positionalSignatureMismatches`); empty when they match. */
  positionalMismatches(expected: PositionalSignature): string[] {
    return positionalSignatureMismatches(this.session, expected);
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
      const data = zeros(
        input.type,
        dims.reduce((product, dim) => product * dim, 1),
      );
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
 * The process's model sessions: one ModelSession per model file, created on first use (also when
 * many callers ask at once) and shared afterwards. With `inferenceThreads` above 0, the sessions
 * run in a pool of worker threads (one InferenceSession per model per thread); otherwise on the
 * calling thread, where each run blocks the event loop.
 */
export class ModelSessions {
  private readonly sessions = new Map<string, Promise<ModelSession>>();
  private pool: InferencePool | undefined;

  constructor(private readonly options: ModelSessionsOptions) {
    assertExecutionProvidersSupported(options.executionProviders);
    if (options.inferenceThreads !== undefined && !(Number.isInteger(options.inferenceThreads) && options.inferenceThreads >= 0)) {
      throw new RangeError(`inferenceThreads must be a whole number ≥ 0, got ${options.inferenceThreads}`);
    }
  }

  get executionProviders(): readonly string[] {
    return this.options.executionProviders;
  }

  /** Worker threads running the sessions; 0 when they run on the calling thread. */
  get inferenceThreads(): number {
    return this.options.inferenceThreads ?? 0;
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

  /** Releases every session and ends the inference threads; later loads create new ones. */
  async release(): Promise<void> {
    const pending = [...this.sessions.values()];
    this.sessions.clear();
    const pool = this.pool;
    this.pool = undefined;
    const settled = await Promise.allSettled(pending);
    if (pool) await pool.close();
    else await Promise.all(settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.release()] : [])));
  }

  private async create(path: string, name: string): Promise<ModelSession> {
    const { executionProviders, inferenceThreads = 0 } = this.options;
    if (inferenceThreads > 0) {
      this.pool ??= new InferencePool({ ...this.options, inferenceThreads });
      return new ModelSession(name, path, executionProviders, await this.pool.load(path, name));
    }
    try {
      return new ModelSession(name, path, executionProviders, await LocalSession.create(path, this.options));
    } catch (error) {
      throw sessionCreationError(error, name, executionProviders);
    }
  }
}
