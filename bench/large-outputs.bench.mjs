// Issue 8's large-output benchmark: runsync echo jobs of 1 MB and 8 MB through the whole gateway
// (claim check: the output is stored once as a blob, Redis and Postgres carry references) against
// raw BullMQ carrying the same payload in its job data and return value. Prints, side by side,
// latency, bytes written to Redis (its network input) and to Postgres (WAL) per job, and the
// gateway's peak RSS. Redis and Postgres counters are server-wide: run it on an idle server.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  fmt,
  postJson,
  forkReady,
  load,
  REDIS_URL,
  startGatewayProcess,
  startProcess,
  stopProcess,
  summarize,
  temporaryDatabase,
  uniquePrefix,
} from './support/harness.mjs';

const root = join(import.meta.dirname, '..');
const MB = 1024 * 1024;
const SIZES = [
  { bytes: 1 * MB, total: 40, warmup: 5 },
  { bytes: 8 * MB, total: 12, warmup: 2 },
];
const payloadOf = (bytes) => ({
  data: randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64')
    .slice(0, bytes),
});

const redis = new Redis(REDIS_URL);
async function redisInputBytes() {
  const info = await redis.info('stats');
  return Number(/total_net_input_bytes:(\d+)/.exec(info)[1]);
}

async function walBytes(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS bytes");
  await client.end();
  return Number(rows[0].bytes);
}

function folderBytes(dir) {
  try {
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  } catch {
    return 0;
  }
}

/** Samples a process's resident set size every 25 ms; `stop()` answers the peak in MiB. */
function rssSampler(pid) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(
        peak,
        Number(
          execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
            .toString()
            .trim(),
        ) * 1024,
      );
    } catch {
      // the process is gone
    }
  }, 25);
  return { stop: () => (clearInterval(timer), peak / MB) };
}

async function measure(call, size, databaseUrl, extra = () => 0) {
  await load(call(size.bytes), { clients: 1, total: size.warmup });
  const [redisBefore, walBefore, extraBefore] = [await redisInputBytes(), databaseUrl ? await walBytes(databaseUrl) : 0, extra()];
  const result = summarize(await load(call(size.bytes), { clients: 1, total: size.total }));
  const redisBytes = ((await redisInputBytes()) - redisBefore) / size.total;
  const postgresBytes = databaseUrl ? ((await walBytes(databaseUrl)) - walBefore) / size.total : 0;
  return { ...result, redisBytes, postgresBytes, blobBytes: (extra() - extraBefore) / size.total };
}

async function rawBaseline() {
  const prefix = uniquePrefix('raw-large');
  const worker = await forkReady(join(import.meta.dirname, 'support/raw-bullmq-worker.mjs'), ['echo', prefix, '4']);
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  const queue = new Queue('echo', { connection, prefix });
  const events = new QueueEvents('echo', { connection, prefix });
  await events.waitUntilReady();
  const call = (bytes) => {
    const payload = payloadOf(bytes);
    return async () => {
      const job = await queue.add('echo', payload, { removeOnComplete: { age: 60 }, removeOnFail: true });
      await job.waitUntilFinished(events, 60_000);
    };
  };
  const results = [];
  for (const size of SIZES) results.push(await measure(call, size));
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), events.close()]);
  await stopProcess(worker);
  return results;
}

async function gatewayPath() {
  const prefix = uniquePrefix('gateway-large');
  const database = await temporaryDatabase();
  const blobDir = mkdtempSync(join(tmpdir(), 'sy-bench-blobs-'));
  const common = { REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: 'info', BLOB_DIR: blobDir };
  const { gateway, port, apiKey } = await startGatewayProcess({ ...common, DATABASE_URL: database.url });
  const worker = await startProcess(
    join(root, 'apps/detector-worker/dist/index.js'),
    { ...common, WORKER_QUEUES: 'echo', WORKER_CONCURRENCY: '4' },
    'worker ready',
  );
  const agent = new http.Agent({ keepAlive: true });
  const url = `http://127.0.0.1:${port}/v2/echo/runsync?wait=60000`;
  const call = (bytes) => {
    const body = JSON.stringify({ input: payloadOf(bytes) });
    return async () => {
      // A string check: parsing megabytes of JSON would load the client, which shares the cores.
      const text = await postJson(agent, url, apiKey, body);
      if (!text.startsWith('{"id"') || !text.includes('"status":"COMPLETED"')) throw new Error(`job ended ${text.slice(0, 300)}`);
    };
  };
  const results = [];
  for (const size of SIZES) {
    const rss = rssSampler(gateway.pid);
    const result = await measure(call, size, database.url, () => folderBytes(blobDir));
    results.push({ ...result, peakRssMiB: rss.stop() });
  }
  agent.destroy();
  await stopProcess(worker);
  await stopProcess(gateway);
  await database.drop();
  rmSync(blobDir, { recursive: true, force: true });
  return results;
}

const raw = await rawBaseline();
const ours = await gatewayPath();
redis.disconnect();
const mb = (bytes) => fmt(bytes / MB);
console.log('large outputs: runsync echo through the gateway (claim check) vs raw BullMQ carrying the payload (same Redis, 1 client)');
SIZES.forEach((size, i) => {
  const [r, o] = [raw[i], ours[i]];
  console.log(
    `${String(size.bytes / MB).padStart(2)} MB  ` +
      `raw: p50 ${fmt(r.p50)} ms p99 ${fmt(r.p99)} ms, Redis ${mb(r.redisBytes)} MB/job | ` +
      `gateway: p50 ${fmt(o.p50)} ms p99 ${fmt(o.p99)} ms, Redis ${mb(o.redisBytes)} MB/job, Postgres WAL ${mb(o.postgresBytes)} MB/job, ` +
      `blobs ${mb(o.blobBytes)} MB/job, peak RSS ${fmt(o.peakRssMiB, 0)} MiB | ` +
      `p50 ratio ${fmt(o.p50 / r.p50)}x; stored copies per output byte: Redis ${fmt(o.redisBytes / size.bytes)}, outside Redis ${fmt((o.postgresBytes + o.blobBytes) / size.bytes)} (target ≤ 1 and ≤ 1 + the input's copy)`,
  );
});
