// Shared pieces of the benchmarks: processes, load generation and statistics.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import databaseTesting from '@switchyard/db/dist/testing.js';
import seededRandomModule from '@switchyard/testing/dist/seeded-random.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function uniquePrefix(name) {
  return `bench-${name}-${randomBytes(3).toString('hex')}`;
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A scratch database on the Postgres server (the tests' helper), dropped by its `drop()`. */
export const temporaryDatabase = () => databaseTesting.createTemporaryPostgresDatabase(DATABASE_URL);

/** With BENCH_CPU_PROF=<folder>, every Node process a benchmark starts writes a V8 CPU profile there when it exits. */
export const profileFlags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

/** Starts a Node program and resolves once a line of its output contains `readyText`. */
export function startProcess(entry, env, readyText) {
  const child = spawn(process.execPath, [...profileFlags, entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${output.slice(-2000)}`)));
  });
}

/**
 * The gateway in its own process on a scratch port, with a key of its own and RunPod's rate limits
 * lifted (200 runsync/s per key would cap a benchmark; the limiter still runs). Resolves with the
 * process, its port and key.
 */
export async function startGatewayProcess(env) {
  const port = await freePort();
  const apiKey = `bench-${Date.now()}-key`;
  const gateway = await startProcess(
    join(root, 'apps/gateway/dist/index.js'),
    { LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1', SWITCHYARD_API_KEY: apiKey, RATE_LIMIT_MULTIPLIER: '1000' },
    'gateway listening',
  );
  return { gateway, port, apiKey };
}

/** Resolves once `url` answers 2xx (a worker's /ready once its models are loaded). */
export async function waitForReady(url, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs} ms`);
}

/** Removes every Redis key of a benchmark's prefix. */
export async function deleteKeys(prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 })) if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
}

/**
 * The gateway and one model worker (`apps/<app>/dist/index.js`), each in its own process, on a
 * scratch database, Redis prefix and model cache, the worker on the generated models in `modelDir`.
 * Resolves once the worker's /ready answers; `stop` removes everything again.
 */
export async function startModelPlatform({ app, modelDir, workerEnv = {} }) {
  const prefix = uniquePrefix(app);
  const database = await temporaryDatabase();
  const healthPort = await freePort();
  const modelCache = await mkdtemp(join(tmpdir(), 'sy-bench-models-'));
  const common = { REDIS_URL, REDIS_PREFIX: prefix };
  const { gateway, port, apiKey } = await startGatewayProcess({ ...common, DATABASE_URL: database.url });
  // At warn, the worker does not log every job.
  const worker = spawn(process.execPath, [...profileFlags, join(root, `apps/${app}/dist/index.js`)], {
    env: {
      ...process.env,
      ...common,
      LOG_LEVEL: 'warn',
      HEALTH_PORT: String(healthPort),
      MODEL_DIR: modelDir,
      MODEL_CACHE_DIR: modelCache,
      HF_HUB_OFFLINE: 'true',
      ...workerEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForReady(`http://127.0.0.1:${healthPort}/ready`);
  const redisPid = await redisServerPid();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    /** For cpuMeter: the processes serving the platform. */
    pids: { gateway: gateway.pid, worker: worker.pid, redis: redisPid },
    /** The worker's /health answer. */
    async health() {
      return (await fetch(`http://127.0.0.1:${healthPort}/health`)).json();
    },
    async stop() {
      await stopProcess(worker);
      await stopProcess(gateway);
      await database.drop();
      await rm(modelCache, { recursive: true, force: true });
      await deleteKeys(prefix);
    },
  };
}

/** POSTs a JSON body (a string) with the API key and resolves with the answer's text. */
export function postJson(agent, url, apiKey, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    request.end(body);
  });
}

/** Forks a Node program and resolves once it sends its first message (kept as the child's `ready`). */
export function forkReady(entry, args) {
  const child = fork(entry, args, { execArgv: profileFlags, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(Object.assign(child, { ready: message })));
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}`)));
  });
}

export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Runs `call` from `clients` concurrent loops until `total` calls are done; returns the latency of
 * each call (ms) and the throughput.
 */
export async function load(call, { clients, total }) {
  const latencies = [];
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (started < total) {
        const index = started++;
        const t0 = performance.now();
        await call(index);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  return { latencies, perSecond: total / seconds };
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize({ latencies, perSecond }) {
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond };
}

export const fmt = (value, digits = 2) => value.toFixed(digits);

/** A small deterministic generator (mulberry32), so every run uses the same data. */
export const seededRandom = seededRandomModule.seededRandom;

const CLOCK_TICKS_PER_MS = 100 / 1000;

/**
 * A process's CPU times so far (ms), from its own kernel counters: `user` and `system`, and those
 * of its children that exited (Postgres's backends, into the postmaster's); undefined once it is gone.
 */
function processTimes(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after it are space-separated (utime is field 14, stime 15, cutime 16, cstime 17).
    const [user, system, childUser, childSystem] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 15)
      .map((ticks) => Number(ticks) / CLOCK_TICKS_PER_MS);
    return { user, system, childUser, childSystem };
  } catch {
    return undefined; // gone since it was listed
  }
}

/** CPU time (user + system, ms) a process has used so far; with `exitedChildren`, also that of its children that exited. */
function processCpuMs(pid, { exitedChildren = false } = {}) {
  const times = processTimes(pid);
  if (!times) return 0;
  return times.user + times.system + (exitedChildren ? times.childUser + times.childSystem : 0);
}

/** Pids whose command name is `name` (every Postgres backend, say). */
function pidsNamed(name) {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The pid of the Redis server the benchmarks use, from its own INFO. */
export async function redisServerPid() {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  const info = await redis.info('server');
  redis.disconnect();
  return Number(/process_id:(\d+)/.exec(info)[1]);
}

/**
 * Samples the CPU time of named processes: `{ gateway: pid, ... }`, plus every process called
 * `postgres` (its backends come and go) and this process (`client`). `take()` answers the CPU ms each used since `cpuMeter` was made.
 */
export function cpuMeter(pids) {
  const read = () => {
    const times = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]));
    // Backends come and go: one that exited counts on in the postmaster's counters.
    times.postgres = pidsNamed('postgres').reduce((sum, pid) => sum + processCpuMs(pid, { exitedChildren: true }), 0);
    // The benchmark's own process drives the load: BullMQ's producer for the raw baseline, an HTTP client for the gateway.
    const { user, system } = process.cpuUsage();
    times.client = (user + system) / 1000;
    return times;
  };
  const start = read();
  return { take: () => Object.fromEntries(Object.entries(read()).map(([name, ms]) => [name, ms - (start[name] ?? 0)])) };
}

/**
 * Samples what named processes asked of the kernel: their read and write system calls (sockets
 * included, from /proc/<pid>/io) and the CPU ms the kernel charged them. `take()` answers
 * `{ name: { syscalls, kernelMs } }` since `kernelMeter` was made. On loopback TCP the receiving
 * side's network stack runs in softirq context, charged to no process, so `kernelMs` undercounts
 * what each message costs; the system calls count the messages themselves.
 */
export function kernelMeter(pids) {
  const read = () =>
    Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => {
        try {
          const io = readFileSync(`/proc/${pid}/io`, 'utf8');
          const count = (field) => Number(new RegExp(`^${field}: (\\d+)$`, 'm').exec(io)[1]);
          return [name, { syscalls: count('syscr') + count('syscw'), kernelMs: processTimes(pid)?.system ?? 0 }];
        } catch {
          return [name, { syscalls: 0, kernelMs: 0 }];
        }
      }),
    );
  const start = read();
  return {
    take: () =>
      Object.fromEntries(
        Object.entries(read()).map(([name, now]) => [name, { syscalls: now.syscalls - start[name].syscalls, kernelMs: now.kernelMs - start[name].kernelMs }]),
      ),
  };
}

/** One line of read/write system calls and kernel CPU ms per job, by process. */
export function kernelPerJobLine(used, jobs) {
  const parts = Object.entries(used).map(([name, { syscalls, kernelMs }]) => `${name} ${fmt(syscalls / jobs, 1)} (${fmt(kernelMs / jobs)} ms)`);
  return `read/write syscalls (kernel CPU ms) per job: ${parts.join(', ')}`;
}

/**
 * Waits until the named processes (and Postgres) are quiet, using under 5% of a core together over
 * a quarter second, or 15 s have passed: a baseline measured while the platform still digests the
 * last run (the recorder's writes, say) would be measured on a busy machine.
 */
export async function untilQuiet(pids) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const meter = cpuMeter(pids);
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (serverCpuMs(meter.take()) < 12.5 || Date.now() > deadline) return;
  }
}

/** The CPU ms a meter's reading holds for every process but the load's own client. */
export function serverCpuMs(used) {
  return Object.entries(used).reduce((sum, [name, ms]) => (name === 'client' ? sum : sum + ms), 0);
}

/** One line of CPU ms per job, by process, and their total without and with the load's client. */
export function cpuPerJobLine(used, jobs) {
  const parts = Object.entries(used).map(([name, ms]) => `${name} ${fmt(ms / jobs)}`);
  const server = serverCpuMs(used);
  return `CPU ms/job: ${parts.join(', ')} | total ${fmt(server / jobs)} without the client, ${fmt((server + used.client) / jobs)} with it`;
}
