// Issue 11's router target: the decision's own time, p99 under 1 ms. Times `decideRoute` (with the
// availability checks that feed it) over a mix of outcomes: the preferred backend serves, one or
// two fallbacks are skipped, and every backend refuses. The baseline in the same run is a bare
// property lookup of the preferred backend: what a router without fallbacks or reasons costs.
//
//   npm run bench -- route-decision     (after a build)
import routing from '@switchyard/routing';
import { fmt, percentile } from './support/harness.mjs';

const { decideRoute, localAvailability, remoteAvailability, clientAvailability, CircuitBreaker, AVAILABLE, parseRoutingConfig } = routing;

const config = parseRoutingConfig({
  endpoints: {
    'text-detector': {
      local: { queue: 'text-detector' },
      remote: { baseUrl: 'https://api.runpod.ai/v2', endpointId: 'abc123', apiKeyEnv: 'RUNPOD_API_KEY', timeoutMs: 30000, maxConcurrency: 16 },
      client: { enabled: true, maxModelBytes: 100_000_000 },
    },
  },
  models: [{ id: 'roberta', endpoint: 'text-detector', size: 'medium', preferred: 'local', fallbacks: ['remote', 'client'], modelBytes: 500_000_000 }],
  local: { maxLocalSize: 'large', maxEstimatedWaitMs: 5000 },
});
const [model] = config.models;
const endpoint = config.endpoints['text-detector'];
const open = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 60_000 });
open.recordFailure(open.tryAcquire());
const closed = new CircuitBreaker({ failureThreshold: 5, coolDownMs: 60_000 });

/**
 * Four situations, in turn: local serves; local saturated, so remote serves; remote's circuit open
 * too, and the model too large for the client, so no backend; no live workers, so remote serves.
 */
const situations = [
  { queuedJobs: 3, meanExecutionMs: 40, liveSlots: 8, modelLoaded: true, breaker: closed },
  { queuedJobs: 5000, meanExecutionMs: 40, liveSlots: 8, modelLoaded: true, breaker: closed },
  { queuedJobs: 5000, meanExecutionMs: 40, liveSlots: 8, modelLoaded: true, breaker: open },
  { queuedJobs: 0, meanExecutionMs: 0, liveSlots: 0, modelLoaded: false, breaker: closed },
];

function decide(index) {
  const situation = situations[index % situations.length];
  const availability = {
    local: localAvailability(model, config.local, situation),
    remote: remoteAvailability(endpoint.remote, { health: { ok: true }, breaker: situation.breaker, inFlight: 2 }),
    client: clientAvailability(endpoint.client, model),
  };
  try {
    return decideRoute(model, availability).backend;
  } catch (error) {
    return error.code;
  }
}

function baseline(index) {
  const availability = { local: AVAILABLE, remote: AVAILABLE, client: AVAILABLE };
  return availability[index % 2 ? model.preferred : model.fallbacks[0]] === AVAILABLE ? model.preferred : undefined;
}

/** Per-call time in µs, measured over chunks of 100 calls (a single call is below the clock's resolution). */
function time(run, calls) {
  const chunk = 100;
  const perCall = [];
  for (let i = 0; i < calls; i += chunk) {
    const started = process.hrtime.bigint();
    for (let j = 0; j < chunk; j++) run(i + j);
    perCall.push(Number(process.hrtime.bigint() - started) / 1000 / chunk);
  }
  return perCall;
}

time(decide, 20_000);
time(baseline, 20_000);
const ours = time(decide, 200_000);
const bare = time(baseline, 200_000);
const outcomes = Object.entries(
  Array.from({ length: 4 }, (_, i) => decide(i)).reduce((counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }), {}),
)
  .map(([outcome, count]) => `${outcome} ×${count}`)
  .join(', ');
console.log(`route decision (availability checks + decideRoute), 200000 calls over 4 situations (${outcomes})`);
console.log(
  `  decideRoute: p50 ${fmt(percentile(ours, 50), 3)} µs p99 ${fmt(percentile(ours, 99), 3)} µs (target p99 < 1000 µs)` +
    ` | bare lookup: p50 ${fmt(percentile(bare, 50), 3)} µs p99 ${fmt(percentile(bare, 99), 3)} µs | p99 ratio ${fmt(percentile(ours, 99) / percentile(bare, 99), 1)}x`,
);
