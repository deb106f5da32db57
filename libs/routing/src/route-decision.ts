import type { AvailabilityFacts, RefusalReason } from './backend-availability';
import { normaliseBackendName, type BackendName } from './backend-name';
import { describeSkipped, NoBackendAvailableError, UnknownBackendError, type SkippedBackend } from './errors';
import { modelBackends, type RoutingModel } from './routing-config';

export interface RouteOptions {
  /** A request's `prefer_backend`; tried first. `modal` is accepted for `remote`. */
  preferBackend?: string;
}

export interface RouteDecision {
  backend: BackendName;
  /** The backends tried before `backend`, in order, with why each refused. */
  skipped: readonly SkippedBackend[];
  /** For answers and job records, e.g. `fell back from remote: circuit open`; empty when the first choice served. */
  note: string;
}

const NOT_CONFIGURED: RefusalReason = Object.freeze({ kind: 'not-configured' });
const NOTHING_SKIPPED: readonly SkippedBackend[] = Object.freeze([]);

/**
 * Picks the backend for a request: `prefer_backend` if given, then the model's preferred backend,
 * then its fallbacks in order, each tried once; the first available one serves.
 * Runs on every request, so it allocates only when a backend is skipped.
 * @throws UnknownBackendError when `prefer_backend` is not one of the model's backends.
 * @throws NoBackendAvailableError when every backend refused, listing why.
 */
export function decideRoute(model: RoutingModel, availability: AvailabilityFacts, options: RouteOptions = {}): RouteDecision {
  const requested = options.preferBackend === undefined ? undefined : resolvePreferredBackend(model, options.preferBackend);
  let skipped: SkippedBackend[] | undefined;

  // Candidates are position -1 (the request's preference) then 0..n (preferred, fallbacks), walked without building a list.
  for (let position = requested === undefined ? 0 : -1; position <= model.fallbacks.length; position++) {
    const backend = position === -1 ? requested! : position === 0 ? model.preferred : model.fallbacks[position - 1];
    if (position >= 0 && backend === requested) continue;
    const facts = availability[backend];
    if (facts?.available) return { backend, skipped: skipped ?? NOTHING_SKIPPED, note: skipped ? `fell back from ${describeSkipped(skipped)}` : '' };
    (skipped ??= []).push({ backend, reason: facts ? facts.reason : NOT_CONFIGURED });
  }
  throw new NoBackendAvailableError(model.id, skipped!);
}

function resolvePreferredBackend(model: RoutingModel, requested: string): BackendName {
  const backend = normaliseBackendName(requested);
  if (backend !== undefined && (backend === model.preferred || model.fallbacks.includes(backend))) return backend;
  throw new UnknownBackendError(requested, model.id, modelBackends(model));
}
