// Issue 14's benchmark: `runsync` of echo jobs run by external workers over RunPod's worker protocol
// (the gateway's /v2/workers/echo, workers speaking it as runpod-python does: the test suite's
// stdlib worker, apps/gateway/test/support/runpod_worker.py) against the same jobs run by native
// workers taking them from BullMQ (apps/detector-worker), on one gateway, one Redis and as many
// workers of each kind as there are clients. Prints p50/p99 latency and jobs/s, and the ratios.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import {
  deleteKeys,
  fmt,
  load,
  postJson,
  REDIS_URL,
  startGatewayProcess,
  startProcess,
  stopProcess,
  summarize,
  temporaryDatabase,
  uniquePrefix,
} from './support/harness.mjs';

const root = join(import.meta.dirname, '..');
const RUNS = [
  { clients: 1, total: 300, warmup: 30 },
  { clients: 4, total: 800, warmup: 80 },
];
const payload = { prompt: 'a lighthouse at dusk, oil painting', steps: 25, seed: 42 };

/** Measures each run through `/v2/echo/runsync`, with `startWorkers(count)` serving it. */
async function measure(port, apiKey, startWorkers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const url = `http://127.0.0.1:${port}/v2/echo/runsync`;
  const body = JSON.stringify({ input: payload });
  const call = async () => {
    const result = JSON.parse(await postJson(agent, url, apiKey, body));
    if (result.status !== 'COMPLETED') throw new Error(`job ended ${JSON.stringify(result)}`);
  };
  const results = [];
  for (const run of RUNS) {
    const workers = await startWorkers(run.clients);
    await load(call, { clients: run.clients, total: run.warmup });
    results.push(summarize(await load(call, run)));
    await Promise.all(workers.map(stopProcess));
  }
  agent.destroy();
  return results;
}

function nativeWorkers(common) {
  return (count) =>
    Promise.all(
      Array.from({ length: count }, (_, index) =>
        startProcess(
          join(root, 'apps/detector-worker/dist/index.js'),
          { ...common, WORKER_QUEUES: 'echo', WORKER_CONCURRENCY: '1', WORKER_ID: `native-${index}` },
          'worker ready',
        ),
      ),
    );
}

/** runpod-python-like workers, RunPod's variables pointing at the gateway; each is up once it says so. */
function externalWorkers(port, workerKey) {
  const base = `http://127.0.0.1:${port}/v2/workers/echo`;
  return (count) =>
    Promise.all(
      Array.from({ length: count }, (_, index) => {
        const worker = spawn('python3', [join(root, 'apps/gateway/test/support/runpod_worker.py')], {
          env: {
            PATH: process.env.PATH,
            RUNPOD_POD_ID: `external-${index}`,
            RUNPOD_AI_API_KEY: workerKey,
            RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID?gpu=bench`,
            RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=bench`,
            RUNPOD_WEBHOOK_POST_STREAM: `${base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=bench`,
            RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID?gpu=bench`,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        return new Promise((resolve, reject) => {
          worker.stdout.once('data', () => resolve(worker));
          worker.once('exit', (code) => reject(new Error(`external worker exited with ${code}`)));
        });
      }),
    );
}

const prefix = uniquePrefix('worker-protocol');
const database = await temporaryDatabase();
const common = { REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: 'info' };
const { gateway, port, apiKey } = await startGatewayProcess({ ...common, DATABASE_URL: database.url, WORKER_PROTOCOL_ENDPOINTS: 'echo=1' });
try {
  const made = await fetch(`http://127.0.0.1:${port}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench workers', scope: 'worker', endpoints: ['echo'] }),
  });
  const { key: workerKey } = await made.json();
  const native = await measure(port, apiKey, nativeWorkers(common));
  const external = await measure(port, apiKey, externalWorkers(port, workerKey));
  console.log('runsync echo run by external workers on the worker protocol vs native BullMQ workers (one gateway, a worker a client, 1 job at a time each)');
  RUNS.forEach((run, i) => {
    const [n, e] = [native[i], external[i]];
    console.log(
      `clients=${run.clients}  native: p50 ${fmt(n.p50)} ms p99 ${fmt(n.p99)} ms ${fmt(n.perSecond, 0)} jobs/s | ` +
        `external: p50 ${fmt(e.p50)} ms p99 ${fmt(e.p99)} ms ${fmt(e.perSecond, 0)} jobs/s | p50 ratio ${fmt(e.p50 / n.p50)}x  throughput ratio ${fmt(e.perSecond / n.perSecond)}x`,
    );
  });
} finally {
  await stopProcess(gateway);
  await database.drop();
  await deleteKeys(prefix);
}
