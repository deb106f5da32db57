// Shared pieces of the benchmarks: processes, load generation and statistics.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import databaseTesting from '@switchyard/db/dist/testing.js';

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

/** Starts a Node program and resolves once a line of its output contains `readyText`. */
export function startProcess(entry, env, readyText) {
  const child = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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

export function forkReady(entry, args) {
  const child = fork(entry, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
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
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
