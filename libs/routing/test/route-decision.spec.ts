import {
  AVAILABLE,
  BACKEND_NAMES,
  decideRoute,
  NoBackendAvailableError,
  refused,
  UnknownBackendError,
  type AvailabilityFacts,
  type BackendName,
  type RefusalReason,
  type RoutingModel,
} from '@switchyard/routing';

/** One refusal per backend, with the text the router must report for it, written out here rather than derived. */
const REFUSAL: Record<BackendName, { reason: RefusalReason; text: string }> = {
  local: { reason: { kind: 'estimated-wait', waitMs: 12_400, limitMs: 5_000 }, text: 'estimated wait 12.4 s over the 5 s limit' },
  remote: { reason: { kind: 'circuit-open', retryInMs: 3_000 }, text: 'circuit open' },
  client: { reason: { kind: 'too-large-for-client', bytes: 12_500_000, max: 10_000_000 }, text: 'model files 12.5 MB over the client limit 10 MB' },
};

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]).filter((subset) => subset.length > 0);
}

/** Every model shape: each non-empty set of backends in each order, the first being the preferred one. */
const backendLists = subsets(BACKEND_NAMES).flatMap(permutations);

function modelWith([preferred, ...fallbacks]: BackendName[]): RoutingModel {
  return { id: 'detector', endpoint: 'detect', size: 'small', preferred, fallbacks };
}

interface Case {
  title: string;
  backends: BackendName[];
  availableBackends: BackendName[];
  preferBackend: BackendName | undefined;
}

const cases: Case[] = backendLists.flatMap((backends) =>
  [[], ...subsets(backends)].flatMap((availableBackends) =>
    [undefined, ...backends].map((preferBackend) => ({
      title: `[${backends.join(', ')}] available {${availableBackends.join(', ')}} prefer ${preferBackend ?? '-'}`,
      backends,
      availableBackends,
      preferBackend,
    })),
  ),
);

/** Facts for every backend, including ones the model does not list: those must never be picked. */
function factsFor(availableBackends: BackendName[]): AvailabilityFacts {
  return Object.fromEntries(BACKEND_NAMES.map((backend) => [backend, availableBackends.includes(backend) ? AVAILABLE : refused(REFUSAL[backend].reason)]));
}

/** The reference: the order to try, then the first available one, spelled out independently of the router. */
function expectedOutcome({ backends, availableBackends, preferBackend }: Case) {
  const order = preferBackend ? [preferBackend, ...backends.filter((backend) => backend !== preferBackend)] : backends;
  const chosenAt = order.findIndex((backend) => availableBackends.includes(backend));
  const refusedBackends = chosenAt === -1 ? order : order.slice(0, chosenAt);
  return {
    backend: chosenAt === -1 ? undefined : order[chosenAt],
    skipped: refusedBackends.map((backend) => ({ backend, reason: REFUSAL[backend].reason })),
    texts: refusedBackends.map((backend) => `${backend}: ${REFUSAL[backend].text}`),
  };
}

describe('decideRoute decision table', () => {
  it('covers every shape of model, availability and preference', () => {
    expect(backendLists).toHaveLength(15);
    expect(cases).toHaveLength(276);
  });

  it.each(cases)('$title', (testCase) => {
    const expected = expectedOutcome(testCase);
    const decide = () => decideRoute(modelWith(testCase.backends), factsFor(testCase.availableBackends), { preferBackend: testCase.preferBackend });
    if (expected.backend) {
      expect(decide()).toEqual({
        backend: expected.backend,
        skipped: expected.skipped,
        note: expected.texts.length ? `fell back from ${expected.texts.join('; ')}` : '',
      });
    } else {
      expect(decide).toThrow(NoBackendAvailableError);
      expect(decide).toThrow(`no backend available for model "detector": ${expected.texts.join('; ')}`);
    }
  });
});

describe('decideRoute', () => {
  const model = modelWith(['remote', 'local', 'client']);
  const allRefused = factsFor([]);

  it('reads the note the issue gives as an example', () => {
    const decision = decideRoute(modelWith(['remote', 'local']), { remote: refused({ kind: 'circuit-open', retryInMs: 1 }), local: AVAILABLE });
    expect(decision.note).toBe('fell back from remote: circuit open');
  });

  it('lists every refusal, in the order tried, on the error', () => {
    try {
      decideRoute(model, allRefused);
      throw new Error('expected a NoBackendAvailableError');
    } catch (error) {
      expect(error).toBeInstanceOf(NoBackendAvailableError);
      const noBackend = error as NoBackendAvailableError;
      expect(noBackend.code).toBe('no_backend_available');
      expect(noBackend.modelId).toBe('detector');
      expect(noBackend.refusals).toEqual([
        { backend: 'remote', reason: REFUSAL.remote.reason },
        { backend: 'local', reason: REFUSAL.local.reason },
        { backend: 'client', reason: REFUSAL.client.reason },
      ]);
    }
  });

  it('treats a backend without facts as not configured', () => {
    expect(decideRoute(model, { client: AVAILABLE }).skipped).toEqual([
      { backend: 'remote', reason: { kind: 'not-configured' } },
      { backend: 'local', reason: { kind: 'not-configured' } },
    ]);
  });

  it.each(['gpu', 'LOCAL', ''])('refuses an unknown prefer_backend %j', (preferBackend) => {
    expect(() => decideRoute(model, factsFor(['local']), { preferBackend })).toThrow(UnknownBackendError);
  });

  it("refuses a prefer_backend the model does not list, naming the model's backends", () => {
    const decide = () => decideRoute(modelWith(['local']), factsFor(['local', 'remote']), { preferBackend: 'remote' });
    expect(decide).toThrow(UnknownBackendError);
    expect(decide).toThrow('prefer_backend "remote" is not a backend of model "detector" (allowed: local)');
  });

  it('accepts modal as prefer_backend for remote', () => {
    expect(decideRoute(model, factsFor(['local', 'remote']), { preferBackend: 'modal' }).backend).toBe('remote');
    expect(decideRoute(modelWith(['local', 'remote']), factsFor(['local', 'remote']), { preferBackend: 'modal' }).backend).toBe('remote');
  });

  // A loose sanity bound only, not a performance test: timed benchmarks belong in bench/.
  it('makes 10 000 decisions without trouble', () => {
    const facts = { remote: refused({ kind: 'circuit-open', retryInMs: 1 }), local: AVAILABLE };
    for (let i = 0; i < 10_000; i++) decideRoute(model, facts, { preferBackend: i % 2 ? 'client' : undefined });
  });
});
