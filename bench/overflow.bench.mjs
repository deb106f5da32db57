// Issue 11's overflow benchmark: jobs offered at twice the local queue's capacity, with a remote
// backend (a second Switchyard gateway with workers of its own) against the same load on the local
// queue alone. The model is the echo endpoint sleeping SLEEP_MS per job, so capacity is exact:
// LOCAL_SLOTS ÷ SLEEP_MS locally. Arrivals are open-loop (one /runsync every 1/rate s, whatever
// the answers), so queueing shows in the latency. Prints the percentiles and where the jobs went.
//
//   npm run bench -- overflow        (builds, then runs this file)
import http from 'node:http';
import { join } from 'node:path';
import {
  deleteKeys,
  fmt,
  percentile,
  postJson,
  REDIS_URL,
  startGatewayProcess,
  startProcess,
  stopProcess,
  temporaryDatabase,
  uniquePrefix,
} from './support/harness.mjs';

const root = join(import.meta.dirname, '..');
const SLEEP_MS = 200;
const LOCAL_SLOTS = 2;
const REMOTE_SLOTS = 4;
const LOCAL_CAPACITY = (LOCAL_SLOTS * 1000) / SLEEP_MS;
const OFFERED_PER_SECOND = 2 * LOCAL_CAPACITY;
const SECONDS = 8;
const MAX_LOCAL_WAIT_MS = 600;

/** A gateway on a prefix and database of its own, and a worker process serving its echo queue. */
async function site(name, slots, gatewayEnv = {}) {
  const prefix = uniquePrefix(name);
  const database = await temporaryDatabase();
  const common = { REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const { gateway, port, apiKey } = await startGatewayProcess({ ...common, LOG_LEVEL: 'info', DATABASE_URL: database.url, ...gatewayEnv });
  const worker = await startProcess(
    join(root, 'apps/detector-worker/dist/index.js'),
    { ...common, LOG_LEVEL: 'info', WORKER_QUEUES: 'echo', WORKER_CONCURRENCY: String(slots) },
    'worker ready',
  );
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    async stop() {
      await stopProcess(worker);
      await stopProcess(gateway);
      await database.drop();
      await deleteKeys(prefix);
    },
  };
}

/** Offers OFFERED_PER_SECOND runsync jobs for SECONDS, open-loop; answers each job's latency and backend. */
async function offer(local) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const url = `${local.baseUrl}/v2/echo/runsync`;
  const body = JSON.stringify({ input: { sleep_ms: SLEEP_MS } });
  // One job first, so the router knows the local execution time.
  await postJson(agent, url, local.apiKey, body);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const jobs = [];
  const total = OFFERED_PER_SECOND * SECONDS;
  const begin = performance.now();
  for (let i = 0; i < total; i++) {
    const due = begin + (i * 1000) / OFFERED_PER_SECOND;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const t0 = performance.now();
    jobs.push(
      postJson(agent, url, local.apiKey, body).then((text) => {
        const answer = JSON.parse(text);
        if (answer.status !== 'COMPLETED') throw new Error(`job ended ${text}`);
        return { ms: performance.now() - t0, backend: answer.backend ?? 'local' };
      }),
    );
  }
  const results = await Promise.all(jobs);
  agent.destroy();
  return results;
}

function report(label, results) {
  const latencies = results.map((result) => result.ms);
  const where = {};
  for (const { backend } of results) where[backend] = (where[backend] ?? 0) + 1;
  console.log(
    `${label.padEnd(20)} p50 ${fmt(percentile(latencies, 50), 0)} ms  p90 ${fmt(percentile(latencies, 90), 0)} ms  p99 ${fmt(percentile(latencies, 99), 0)} ms  ` +
      `max ${fmt(Math.max(...latencies), 0)} ms  jobs by backend ${JSON.stringify(where)}`,
  );
  return percentile(latencies, 99);
}

const localOnly = await site('overflow-local-only', LOCAL_SLOTS);
const aloneResults = await offer(localOnly);
await localOnly.stop();

const remote = await site('overflow-remote', REMOTE_SLOTS);
process.env.OVERFLOW_REMOTE_KEY = remote.apiKey;
const routing = {
  endpoints: {
    echo: {
      local: { queue: 'echo' },
      remote: { baseUrl: remote.baseUrl, endpointId: 'echo', apiKeyEnv: 'OVERFLOW_REMOTE_KEY', timeoutMs: 10_000, maxConcurrency: 64 },
    },
  },
  models: [],
  local: { maxLocalSize: 'large', maxEstimatedWaitMs: MAX_LOCAL_WAIT_MS },
};
const hybrid = await site('overflow-hybrid', LOCAL_SLOTS, {
  ROUTING_CONFIG: JSON.stringify(routing),
  OVERFLOW_REMOTE_KEY: remote.apiKey,
  REMOTE_ALLOW_PRIVATE: 'true',
  REMOTE_HEALTH_INTERVAL_MS: '1000',
  ROUTING_SAMPLE_MS: '100',
});
await new Promise((resolve) => setTimeout(resolve, 1500));
const hybridResults = await offer(hybrid);
await hybrid.stop();
await remote.stop();

console.log(
  `overflow: echo jobs of ${SLEEP_MS} ms offered at ${OFFERED_PER_SECOND}/s for ${SECONDS} s, twice the local capacity (${LOCAL_SLOTS} slots = ${LOCAL_CAPACITY}/s); ` +
    `remote: another gateway with ${REMOTE_SLOTS} slots; local refused past an estimated wait of ${MAX_LOCAL_WAIT_MS} ms`,
);
const aloneP99 = report('local only', aloneResults);
const hybridP99 = report('local + remote', hybridResults);
console.log(`p99 ratio (local + remote ÷ local only): ${fmt(hybridP99 / aloneP99)}x`);
