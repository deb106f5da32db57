// The entry of an InferencePool's worker thread: its own InferenceSession per model file, created on
// the first request that names the file (the pool's load, or a run after the thread was replaced).
import { parentPort, workerData } from 'node:worker_threads';
import { LocalSession } from './local-session';
import { moveToWire, tensorsFromWire, tensorsToWire } from './tensor-wire';
import type { InferenceThreadStart, ThreadOperations, ThreadReply, ThreadRequest } from './thread-protocol';

const { sessions: options, observeProviders, retired } = workerData as InferenceThreadStart;
let inFlight = 0;

/**
 * A retired thread exits by itself between requests, never from inside onnxruntime's native code:
 * ending a thread there (Worker.terminate) aborts the whole process.
 */
function exitIfRetired(): void {
  if (Atomics.load(retired, 0) === 1 && inFlight === 0) process.exit(0);
}
const sessions = new Map<string, Promise<LocalSession>>();

function sessionFor(path: string): Promise<LocalSession> {
  let session = sessions.get(path);
  if (!session) {
    session = LocalSession.create(path, options, { observeProviders });
    sessions.set(path, session);
    // A failed creation is not kept: the next request tries again.
    session.catch(() => {
      if (sessions.get(path) === session) sessions.delete(path);
    });
  }
  return session;
}

type Result = ThreadOperations[keyof ThreadOperations]['result'];

async function handle(request: ThreadRequest, transfer: ArrayBuffer[]): Promise<Result> {
  switch (request.op) {
    case 'load': {
      const session = await sessionFor(request.path);
      return { inputs: [...session.inputMetadata], outputs: [...session.outputMetadata] };
    }
    case 'run': {
      const session = await sessionFor(request.path);
      const outputs = await session.run(tensorsFromWire(request.feeds), request.options);
      return { outputs: tensorsToWire(outputs, moveToWire, transfer), providerUsage: session.providerUsage };
    }
    case 'release': {
      const session = sessions.get(request.path);
      sessions.delete(request.path);
      await session?.then(
        (created) => created.release(),
        () => undefined,
      );
      return null;
    }
  }
}

parentPort!.on('message', (request: ThreadRequest) => {
  // The pool wakes a retired thread with a message; requests that came before it are dropped.
  if (Atomics.load(retired, 0) === 1) return exitIfRetired();
  const transfer: ArrayBuffer[] = [];
  inFlight += 1;
  handle(request, transfer)
    .then(
      (result) => parentPort!.postMessage({ id: request.id, ok: true, result } satisfies ThreadReply, transfer),
      (error: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error } satisfies ThreadReply),
    )
    .finally(() => {
      inFlight -= 1;
      exitIfRetired();
    });
});
