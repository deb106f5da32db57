import type { InferenceSession } from 'onnxruntime-node';
import type { ProviderUsage } from './local-session';
import type { ModelSessionsOptions } from './session-options';
import type { WireTensors } from './tensor-wire';

/** A thread's workerData. */
export interface InferenceThreadData {
  sessions: ModelSessionsOptions;
  /** Whether this thread's sessions profile their first run to learn which providers ran it (one thread does). */
  observeProviders: boolean;
}

/** What one started thread gets besides its settings: a flag the pool sets to retire it. */
export interface InferenceThreadStart extends InferenceThreadData {
  /** Set to 1 (Atomics) when the pool retires the thread: it takes no more requests and exits once it has none in flight. */
  retired: Int32Array;
}

/** What an InferencePool asks of one of its threads, by operation, and what the thread answers. */
export interface ThreadOperations {
  load: { request: { path: string }; result: { inputs: InferenceSession.ValueMetadata[]; outputs: InferenceSession.ValueMetadata[] } };
  run: {
    request: { path: string; feeds: WireTensors; options?: InferenceSession.RunOptions };
    result: { outputs: WireTensors; providerUsage: ProviderUsage | undefined };
  };
  release: { request: { path: string }; result: null };
}

export type ThreadOperation = keyof ThreadOperations;

export type ThreadRequest = { [Op in ThreadOperation]: { id: number; op: Op } & ThreadOperations[Op]['request'] }[ThreadOperation];

export type ThreadReply =
  | { id: number; ok: true; result: ThreadOperations[ThreadOperation]['result'] }
  /** Errors are structured-cloned: their name, message and stack arrive in the pool. */
  | { id: number; ok: false; error: unknown };
