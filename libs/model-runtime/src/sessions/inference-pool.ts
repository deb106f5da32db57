import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { InferencePoolClosedError, InferenceRunCutOffError, InferenceThreadExitedError } from './errors';
import type { ProviderUsage, RunControl, SessionBackend } from './local-session';
import { sessionCreationError, type ModelSessionsOptions } from './session-options';
import { copyToWire, tensorsFromWire, tensorsToWire } from './tensor-wire';
import type { InferenceThreadData, InferenceThreadStart, ThreadOperation, ThreadOperations, ThreadReply, ThreadRequest } from './thread-protocol';

// A worker thread cannot load TypeScript: where this module runs from its source (under Jest), the
// thread runs the built file, which `npm test` builds first.
const THREAD_ENTRY = __filename.endsWith('.ts') ? resolve(__dirname, '../../dist/sessions/inference-thread.js') : join(__dirname, 'inference-thread.js');

interface Pending {
  resolve: (result: never) => void;
  reject: (error: unknown) => void;
}

/**
 * One worker thread of the pool. It holds the process open only while it has work, so a pool that
 * is idle never keeps a process from exiting; a thread that dies fails its requests and is replaced
 * on the next one.
 */
class InferenceThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly retiredFlags = new WeakMap<Worker, Int32Array>();
  private nextId = 0;

  constructor(
    readonly index: number,
    private readonly data: InferenceThreadData,
  ) {}

  get busy(): number {
    return this.pending.size;
  }

  request<Op extends ThreadOperation>(
    op: Op,
    request: ThreadOperations[Op]['request'],
    transfer: ArrayBuffer[] = [],
    cutOff?: AbortSignal,
  ): Promise<ThreadOperations[Op]['result']> {
    if (cutOff?.aborted) return Promise.reject(new InferenceRunCutOffError(this.index));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const onCutOff = () => this.cutOff(worker);
    cutOff?.addEventListener('abort', onCutOff, { once: true });
    return new Promise<ThreadOperations[Op]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, op, ...request } as ThreadRequest, transfer);
    }).finally(() => cutOff?.removeEventListener('abort', onCutOff));
  }

  /**
   * Fails the thread's requests at once and hands later ones to a fresh thread (which loads its
   * sessions again); the old one ends once its native call returns (see `retire`). Its run still
   * holds the device until then.
   */
  private cutOff(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void this.retire(worker, new InferenceRunCutOffError(this.index));
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await this.retire(worker, new InferencePoolClosedError());
  }

  /**
   * Fails the thread's requests and has the thread exit by itself once its requests in flight
   * return: ending a thread inside onnxruntime's native code (Worker.terminate) aborts the whole
   * process. Resolves when it has exited.
   */
  private async retire(worker: Worker, reason: Error): Promise<void> {
    worker.removeAllListeners('exit');
    worker.removeAllListeners('message');
    this.failPending(reason);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    Atomics.store(this.retiredFlags.get(worker)!, 0, 1);
    worker.postMessage({ op: 'retire' });
    worker.ref();
    await exited;
  }

  private start(): Worker {
    const retired = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(THREAD_ENTRY, { workerData: { ...this.data, retired } satisfies InferenceThreadStart, name: `inference-${this.index}` });
    this.retiredFlags.set(worker, retired);
    worker.on('message', (reply: ThreadReply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) pending?.resolve(reply.result as never);
      else pending?.reject(reply.error);
    });
    // An uncaught error ends the thread: 'exit' follows and fails what it had.
    worker.on('error', () => undefined);
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.failPending(new InferenceThreadExitedError(this.index, code));
    });
    worker.unref();
    return worker;
  }

  private failPending(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(error);
  }
}

/**
 * Worker threads that run onnxruntime sessions off the event loop: onnxruntime-node's
 * `session.run` is synchronous (its backend only defers the native call with setImmediate), so on
 * the main thread a large model stalls timers, I/O and lock renewals for the whole run. Each
 * thread has its own InferenceSession per model, created with the same options; a run goes to the
 * thread with the fewest requests in flight, and tensors cross as transferred ArrayBuffers.
 *
 * Plain worker_threads rather than piscina or tinypool: a round trip of a 1 MB tensor each way
 * measured the same (740 µs against piscina 4.9's 750–810 µs, 2 cores), a pool must address each
 * thread (a model is created in every thread when it loads, so a bad file or provider fails the
 * load, not a later run), and it needs no runtime dependency.
 */
export class InferencePool {
  private readonly threads: InferenceThread[];
  private closed = false;

  constructor(private readonly options: ModelSessionsOptions & { inferenceThreads: number }) {
    if (!(options.inferenceThreads >= 1)) throw new RangeError('An inference pool needs at least one thread');
    if (!existsSync(THREAD_ENTRY)) throw new Error(`The inference thread's entry ${THREAD_ENTRY} is missing: build the project (npm run build)`);
    const sessions: ModelSessionsOptions = { ...options, inferenceThreads: 0 };
    this.threads = Array.from({ length: options.inferenceThreads }, (_, index) => new InferenceThread(index, { sessions, observeProviders: index === 0 }));
  }

  get size(): number {
    return this.threads.length;
  }

  /** Creates the model's session in every thread; throws as ModelSessions.load does when it cannot. */
  async load(path: string, name: string): Promise<PooledSession> {
    this.assertOpen();
    const loads = await Promise.allSettled(this.threads.map((thread) => thread.request('load', { path })));
    const failure = loads.find((outcome) => outcome.status === 'rejected');
    if (failure) {
      await this.unload(path).catch(() => undefined);
      throw failure.reason instanceof InferencePoolClosedError ? failure.reason : sessionCreationError(failure.reason, name, this.options.executionProviders);
    }
    const { inputs, outputs } = (loads[0] as PromiseFulfilledResult<ThreadOperations['load']['result']>).value;
    return new PooledSession(this, path, inputs, outputs);
  }

  /** Runs the model in the least busy thread (which creates its session first if it has none). */
  async run(
    path: string,
    feeds: InferenceSession.FeedsType,
    options?: InferenceSession.RunOptions,
    control?: RunControl,
  ): Promise<ThreadOperations['run']['result']> {
    this.assertOpen();
    const transfer: ArrayBuffer[] = [];
    const wire = tensorsToWire(feeds as Record<string, Tensor>, copyToWire, transfer);
    const thread = this.threads.reduce((least, candidate) => (candidate.busy < least.busy ? candidate : least));
    return thread.request('run', { path, feeds: wire, ...(options && { options }) }, transfer, control?.cutOff);
  }

  async unload(path: string): Promise<void> {
    if (this.closed) return;
    await Promise.all(this.threads.map((thread) => thread.request('release', { path })));
  }

  /** Ends every thread; requests still in flight fail with InferencePoolClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private assertOpen(): void {
    if (this.closed) throw new InferencePoolClosedError();
  }
}

/** A model loaded in every thread of an InferencePool, run by whichever is free. */
export class PooledSession implements SessionBackend {
  providerUsage: ProviderUsage | undefined;

  constructor(
    private readonly pool: InferencePool,
    private readonly path: string,
    readonly inputMetadata: readonly InferenceSession.ValueMetadata[],
    readonly outputMetadata: readonly InferenceSession.ValueMetadata[],
  ) {}

  async run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions, control?: RunControl): Promise<InferenceSession.ReturnType> {
    const { outputs, providerUsage } = await this.pool.run(this.path, feeds, options, control);
    this.providerUsage = providerUsage ?? this.providerUsage;
    return tensorsFromWire(outputs);
  }

  release(): Promise<void> {
    return this.pool.unload(this.path);
  }
}
