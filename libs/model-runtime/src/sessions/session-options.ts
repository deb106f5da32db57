import type { InferenceSession } from 'onnxruntime-node';
import { ExecutionProviderUnavailableError, ModelLoadError } from './errors';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** CUDA's arena growth: double each time (onnxruntime's default), or grow by what was asked for. */
export type ArenaExtendStrategy = 'kNextPowerOfTwo' | 'kSameAsRequested';

/** Settings of the CUDA execution provider, applied where `cuda` is among the execution providers. */
export interface CudaProviderOptions {
  /** CUDA's `device_id`: which GPU. Default 0. */
  deviceId?: number;
  /**
   * CUDA's `gpu_mem_limit` in bytes, and `arena_extend_strategy`. onnxruntime-node 1.30 passes
   * only `deviceId` to the provider (its binding reads no other key), so these are not applied:
   * `unappliedProviderOptions` names them, and the workers warn at start-up.
   */
  gpuMemLimit?: number;
  arenaExtendStrategy?: ArenaExtendStrategy;
}

export interface ModelSessionsOptions {
  /** In order of preference, e.g. `['cuda', 'cpu']` on GPU nodes and `['cpu']` elsewhere. */
  executionProviders: readonly string[];
  cuda?: CudaProviderOptions;
  intraOpNumThreads?: number;
  /** Threads running independent parts of the graph at once; above 1 it switches on parallel execution. */
  interOpNumThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Whether onnxruntime's intra- and inter-op threads spin while waiting for work. Spinning shaves
   * microseconds off each operator's start but burns the cores between runs (a worker serving one
   * request at a time spent about twice the CPU); default off.
   */
  threadSpinning?: boolean;
  /**
   * Worker threads that run the sessions, each with its own InferenceSession per model, so that
   * `session.run` (synchronous in onnxruntime-node) never stalls the event loop. 0 runs them on
   * the calling thread. Default 0.
   */
  inferenceThreads?: number;
}

/** The provider options set here that this onnxruntime-node build ignores, as `provider.option` names. */
export function unappliedProviderOptions(options: Pick<ModelSessionsOptions, 'executionProviders' | 'cuda'>): string[] {
  if (!options.executionProviders.includes('cuda') || !options.cuda) return [];
  const unapplied: string[] = [];
  if (options.cuda.gpuMemLimit !== undefined) unapplied.push('cuda.gpu_mem_limit');
  if (options.cuda.arenaExtendStrategy !== undefined) unapplied.push('cuda.arena_extend_strategy');
  return unapplied;
}

/** onnxruntime's session options for these settings (it rejects options that are present but undefined). */
export function inferenceSessionOptions(options: ModelSessionsOptions): InferenceSession.SessionOptions {
  const { executionProviders, cuda, intraOpNumThreads, interOpNumThreads, graphOptimizationLevel, threadSpinning = false } = options;
  const spinning = threadSpinning ? '1' : '0';
  return {
    executionProviders: executionProviders.map((name) => (name === 'cuda' && cuda?.deviceId !== undefined ? { name: 'cuda', deviceId: cuda.deviceId } : name)),
    ...(intraOpNumThreads !== undefined && { intraOpNumThreads }),
    // onnxruntime uses inter-op threads only in parallel execution mode.
    ...(interOpNumThreads !== undefined && { interOpNumThreads, executionMode: interOpNumThreads > 1 ? 'parallel' : 'sequential' }),
    ...(graphOptimizationLevel !== undefined && { graphOptimizationLevel }),
    // onnxruntime's session configuration keys (onnxruntime_session_options_config_keys.h).
    extra: { 'session.intra_op.allow_spinning': spinning, 'session.inter_op.allow_spinning': spinning },
  };
}

// onnxruntime-node lists `cuda` and `tensorrt` as supported on Linux x64 although their libraries
// are separate downloads (its install script fetches them unless ONNXRUNTIME_NODE_INSTALL=skip):
// the failure to load them only shows when a session is created.
const PROVIDER_LOAD_FAILURE = /AppendExecutionProvider_(\w+)/;
const WEBGPU_FAILURE = /webgpu/i;

/** What a failed InferenceSession.create means: a provider that cannot start, or a model that cannot load. */
export function sessionCreationError(error: unknown, name: string, requested: readonly string[]): Error {
  const message = error instanceof Error ? error.message : String(error);
  const provider = PROVIDER_LOAD_FAILURE.exec(message)?.[1]?.toLowerCase() ?? (WEBGPU_FAILURE.test(message) ? 'webgpu' : undefined);
  if (provider && requested.includes(provider)) {
    return new ExecutionProviderUnavailableError(provider, `onnxruntime could not start it: ${message.trim()}`);
  }
  return new ModelLoadError(name, error);
}
