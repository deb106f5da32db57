// Issue 2's benchmark: `runsync` of echo jobs through the whole gateway (HTTP, auth, rate limit,
// validation, job state, queue, worker process, status events, response) against raw BullMQ
// add→completed on the same Redis, with its worker in its own process too. Prints p50/p99 latency
// and jobs/s at 1 and 64 concurrent clients, and the ratios, and the CPU each process spends per
// job (from its kernel counters; the benchmark's own client process is not counted). The floor
// lines put raw BullMQ behind the bare Fastify route, the least any HTTP front on this queue can
// cost, and count each process's read and write system calls and kernel CPU per job.
import http from 'node:http';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import {
  cpuMeter,
  cpuPerJobLine,
  serverCpuMs,
  fmt,
  kernelMeter,
  kernelPerJobLine,
  postJson,
  forkReady,
  load,
  REDIS_URL,
  redisServerPid,
  startGatewayProcess,
  startProcess,
  stopProcess,
  summarize,
  temporaryDatabase,
  uniquePrefix,
} from './support/harness.mjs';

const root = join(import.meta.dirname, '..');
const WORKER_CONCURRENCY = 50;
const RUNS = [
  { clients: 1, total: 1500, warmup: 300 },
  { clients: 64, total: 12000, warmup: 2000 },
];
const payload = { prompt: 'a lighthouse at dusk, oil painting', steps: 25, seed: 42 };
const redisPid = await redisServerPid();

/** Warms up, then measures each run: latency, throughput and the CPU the named processes spent. */
async function measure(call, pids) {
  const results = [];
  for (const run of RUNS) {
    await load(call, { clients: run.clients, total: run.warmup });
    const meter = cpuMeter({ ...pids, redis: redisPid });
    const kernel = kernelMeter({ ...pids, redis: redisPid, client: process.pid });
    const result = summarize(await load(call, run));
    results.push({ ...result, cpu: meter.take(), kernel: kernel.take() });
  }
  return results;
}

async function rawBaseline() {
  const prefix = uniquePrefix('raw');
  const worker = await forkReady(join(import.meta.dirname, 'support/raw-bullmq-worker.mjs'), ['echo', prefix, String(WORKER_CONCURRENCY)]);
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  const queue = new Queue('echo', { connection, prefix });
  const events = new QueueEvents('echo', { connection, prefix });
  await events.waitUntilReady();
  // waitUntilFinished adds listeners per waiting job: 64 clients means 64 at once.
  for (const emitter of [queue, events]) emitter.setMaxListeners(RUNS.at(-1).clients * 2);
  const call = async () => {
    // Completed jobs are kept briefly: waitUntilFinished reads the job after its completion event.
    const job = await queue.add('echo', payload, { removeOnComplete: { age: 60 }, removeOnFail: true });
    await job.waitUntilFinished(events, 30_000);
  };
  const results = await measure(call, { worker: worker.pid });
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), events.close()]);
  await stopProcess(worker);
  return results;
}

/** The floor of any HTTP path on this machine: the same client against a bare Fastify route. */
async function bareFastify() {
  const server = await forkReady(join(import.meta.dirname, 'support/bare-fastify-server.mjs'), []);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const body = JSON.stringify({ input: payload });
  const url = `http://127.0.0.1:${server.ready}/v2/echo/runsync`;
  const call = async () => {
    const result = JSON.parse(await postJson(agent, url, 'unused', body));
    if (result.status !== 'COMPLETED') throw new Error(`floor answered ${JSON.stringify(result)}`);
  };
  const results = await measure(call, { http: server.pid });
  agent.destroy();
  await stopProcess(server);
  return results;
}

async function gatewayPath() {
  const prefix = uniquePrefix('gateway');
  const database = await temporaryDatabase();
  const common = { REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: 'info' };
  const { gateway, port, apiKey } = await startGatewayProcess({ ...common, DATABASE_URL: database.url });
  const worker = await startProcess(
    join(root, 'apps/detector-worker/dist/index.js'),
    {
      ...common,
      WORKER_QUEUES: 'echo',
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    },
    'worker ready',
  );

  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const body = JSON.stringify({ input: payload });
  const url = `http://127.0.0.1:${port}/v2/echo/runsync`;
  const call = async () => {
    const result = JSON.parse(await postJson(agent, url, apiKey, body));
    if (result.status !== 'COMPLETED') throw new Error(`job ended ${JSON.stringify(result)}`);
  };
  const results = await measure(call, { gateway: gateway.pid, worker: worker.pid });
  agent.destroy();
  await stopProcess(worker);
  await stopProcess(gateway);
  await database.drop();
  return results;
}

const floor = await bareFastify();
const raw = await rawBaseline();
const ours = await gatewayPath();
console.log('runsync echo through the gateway vs raw BullMQ add→completed (same Redis, workers in their own processes, concurrency 50)');
RUNS.forEach((run, i) => {
  const [r, o] = [raw[i], ours[i]];
  console.log(
    `clients=${String(run.clients).padStart(2)}  ` +
      `raw: p50 ${fmt(r.p50)} ms p99 ${fmt(r.p99)} ms ${fmt(r.perSecond, 0)} jobs/s | ` +
      `gateway: p50 ${fmt(o.p50)} ms p99 ${fmt(o.p99)} ms ${fmt(o.perSecond, 0)} jobs/s | ` +
      `p50 ratio ${fmt(o.p50 / r.p50)}x (target ≤ 1.5x)  throughput ratio ${fmt(o.perSecond / r.perSecond)}x${run.clients === 64 ? ' (target ≥ 0.7x)' : ''}`,
  );
  console.log(
    `clients=${String(run.clients).padStart(2)}  bare Fastify route (the HTTP floor): p50 ${fmt(floor[i].p50)} ms ${fmt(floor[i].perSecond, 0)} requests/s, ` +
      cpuPerJobLine(floor[i].cpu, run.total).replace('job', 'request'),
  );
  console.log(`clients=${String(run.clients).padStart(2)}  raw     ${cpuPerJobLine(r.cpu, run.total)}`);
  console.log(`clients=${String(run.clients).padStart(2)}  gateway ${cpuPerJobLine(o.cpu, run.total)} (target ≤ 1.5 without the client)`);
  // Raw BullMQ behind the bare route, as the sum of the two measured paths. Raw's producer and
  // waiter (its client) do what the gateway does for a job, so they count; the HTTP client does not.
  const floorP50 = r.p50 + floor[i].p50;
  const floorCpu = serverCpuMs(r.cpu) + r.cpu.client + serverCpuMs(floor[i].cpu);
  console.log(
    `clients=${String(run.clients).padStart(2)}  floor   raw BullMQ behind the bare HTTP route (raw + route): p50 ${fmt(floorP50)} ms (${fmt(floorP50 / r.p50)}x raw), ` +
      `${fmt(floorCpu / run.total)} CPU ms/job (raw with its client, plus the route's server): any HTTP front on this queue costs this before its own work`,
  );
  console.log(`clients=${String(run.clients).padStart(2)}  floor   ${kernelPerJobLine(floor[i].kernel, run.total).replace('job', 'request')}`);
  console.log(`clients=${String(run.clients).padStart(2)}  raw     ${kernelPerJobLine(r.kernel, run.total)}`);
  console.log(`clients=${String(run.clients).padStart(2)}  gateway ${kernelPerJobLine(o.kernel, run.total)}`);
});
