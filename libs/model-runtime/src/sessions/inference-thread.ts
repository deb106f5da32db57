// The entry of an InferencePool's worker thread: its own InferenceSession per model file, created on
// the first request that names the file (the pool's load, or a run after the thread was replaced).
import { parentPort, workerData } from 'node:worker_threads';
import { LocalSession } from './local-session';
import { moveToWire, tensorsFromWire, tensorsToWire } from './tensor-wire';
import type { InferenceThreadData, ThreadOperations, ThreadReply, ThreadRequest } from './thread-protocol';

const { sessions: options, observeProviders } = workerData as InferenceThreadData;
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
      await session?.then((created) => created.release(), () => undefined);
      return null;
    }
  }
}

parentPort!.on('message', (request: ThreadRequest) => {
  const transfer: ArrayBuffer[] = [];
  handle(request, transfer).then(
    (result) => parentPort!.postMessage({ id: request.id, ok: true, result } satisfies ThreadReply, transfer),
    (error: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error } satisfies ThreadReply),
  );
});
