import type { ModelRuntimeConfig } from './config';
import { sessionStartupWarnings } from './config';
import { ModelSessions } from './sessions/model-sessions';
import { ModelStore, type ModelStoreLogger } from './store/model-store';

/**
 * A worker's start-up: warns about its session settings, opens the model store and the sessions,
 * and runs `load` with them. The store is closed once `load` is done; the sessions stay for what
 * `load` built, and are released when it fails, so a worker that cannot start leaves no threads.
 */
export async function loadModels<Loaded>(
  runtime: ModelRuntimeConfig,
  logger: ModelStoreLogger,
  load: (store: ModelStore, sessions: ModelSessions) => Promise<Loaded>,
): Promise<Loaded> {
  for (const warning of sessionStartupWarnings(runtime)) logger.warn({ sessions: runtime.sessions, cores: runtime.cores }, warning);
  const store = new ModelStore({ ...runtime.store, logger });
  const sessions = new ModelSessions(runtime.sessions);
  try {
    return await load(store, sessions);
  } catch (error) {
    await sessions.release();
    throw error;
  } finally {
    store.close();
  }
}
