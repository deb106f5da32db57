import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One RunPod serverless endpoint's jobs, in memory, served both ways RunPod serves them:
 * - the job API for callers (`Authorization: Bearer <user key>`): `run`, `runsync?wait=`,
 *   `status/{id}`, `status-sync/{id}?wait=`, `stream/{id}`, `cancel/{id}`, `retry/{id}`,
 *   `purge-queue`, `health`;
 * - the worker protocol for workers (`Authorization: <RUNPOD_AI_API_KEY>`, raw, as runpod-python
 *   sends it: `runpod/http_client.py` get_auth_header, `rp_ping.py`): `job-take/{worker}`,
 *   `job-take-batch/{worker}?batch_size=`, `job-stop/{worker}`, `job-done/{worker}/{job}`,
 *   `job-stream/{worker}/{job}`, `ping/{worker}?job_id=a,b`.
 *
 * Worker posts carry JSON text under `application/x-www-form-urlencoded` (`rp_http.py` _transmit);
 * a done post is `{output}`, `{error, output?}`, or a progress update `{status: "IN_PROGRESS",
 * output}` (`rp_progress.py`), with `stopPod: true` for a worker asking to be replaced. A job whose
 * worker stops calling (takes, posts, pings) for three ping intervals goes back to the queue;
 * a running job cancelled or past its `policy.executionTimeout` is named to its worker on job-stop.
 */

export interface FakeQueueRequest {
  method: string;
  /** The path after `/v2/{endpointId}/`, e.g. `run`, `status/abc`, `job-take/w1`. */
  subpath: string;
  query: URLSearchParams;
  authorization?: string;
  contentType?: string;
  body: string;
  /** Aborted when the caller goes away: a long poll it left ends without handing out a job. */
  signal?: AbortSignal;
}

export interface FakeQueueAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeQueueStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

const JOB_API_CALLS = ['run', 'runsync', 'status', 'status-sync', 'stream', 'cancel', 'retry', 'purge-queue', 'health'] as const;
const WORKER_CALLS = ['job-take', 'job-take-batch', 'job-stop', 'job-done', 'job-stream', 'ping'] as const;
export type FakeQueueCall = (typeof JOB_API_CALLS)[number] | (typeof WORKER_CALLS)[number];

/** A request the queue answered, for assertions. */
export interface FakeQueueRecord extends FakeQueueRequest {
  call: FakeQueueCall;
  /** The queue's clock on arrival. */
  receivedAt: number;
}

export interface FakeServerlessQueueOptions {
  endpointId: string;
  /** Keys the job API accepts as `Bearer <key>`. */
  userKeys: readonly string[];
  /** The key workers send as their raw Authorization header (their RUNPOD_AI_API_KEY). */
  workerKey: string;
  now?: () => number;
  /** RUNPOD_PING_INTERVAL handed to workers; a worker silent for three of them is lost. Default 10 000 ms (the SDK's default). */
  pingIntervalMs?: number;
  /** How long job-take and job-stop hold a request open when there is nothing to hand out. Default 2 000 ms. */
  longPollMs?: number;
}

interface FakeQueueJob {
  id: string;
  input: unknown;
  webhook?: string;
  executionTimeoutMs: number;
  submittedAt: number;
  /** After this (policy.ttl from submission), the job is gone: 404. */
  expiresAt: number;
  /** How long the job is kept once it ended: 30 min after /run, 1 min after /runsync. */
  retainedForMs: number;
  status: FakeQueueStatus;
  workerId?: string;
  startedAt?: number;
  finishedAt?: number;
  /** The latest progress update while IN_PROGRESS; the output once COMPLETED (or FAILED with one). */
  output?: unknown;
  error?: unknown;
  chunks: unknown[];
  chunksDrained: number;
}

interface KnownWorker {
  lastSeenAt: number;
  /** Running jobs of this worker that were cancelled or timed out, not yet named on job-stop. */
  jobsToStop: Set<string>;
  /** The worker posted `stopPod: true`: it asked to be replaced after its job. */
  stopRequested: boolean;
}

type WorkerBody = { output?: unknown; error?: unknown; status?: string; stopPod?: boolean };

const FINAL_STATUSES: ReadonlySet<FakeQueueStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);
/** RunPod's limits on request bodies: 10 MB for /run, 20 MB for /runsync. */
const MAX_BODY_BYTES: Readonly<Record<string, number>> = { run: 10 * 1024 * 1024, runsync: 20 * 1024 * 1024 };
const DEFAULT_EXECUTION_TIMEOUT_MS = 600_000;
const DEFAULT_TTL_MS = 24 * 3600_000;
const RESULT_RETENTION_MS = { run: 30 * 60_000, runsync: 60_000 };
const RUNSYNC_WAIT_MS = { default: 90_000, min: 1_000, max: 300_000 };
/** RunPod's worker URLs carry a query already (runpod-python appends `&job_in_progress=…` to the take URL). */
const WORKER_URL_QUERY = `?gpu=${encodeURIComponent('NVIDIA GeForce RTX 4090')}`;
/** Missed pings, counted in intervals, after which a worker is taken for lost. */
const LOST_AFTER_PING_INTERVALS = 3;
const SWEEP_INTERVAL_MS = 100;

const isFinal = (status: FakeQueueStatus) => FINAL_STATUSES.has(status);
const json = (status: number, body: unknown): FakeQueueAnswer => ({ status, body });
const noContent: FakeQueueAnswer = { status: 204 };

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

export class FakeServerlessQueue {
  readonly endpointId: string;
  readonly pingIntervalMs: number;
  /** Every request answered, in arrival order. */
  readonly requests: FakeQueueRecord[] = [];
  private readonly userKeys: ReadonlySet<string>;
  private readonly workerKey: string;
  private readonly now: () => number;
  private readonly longPollMs: number;
  private readonly jobs = new Map<string, FakeQueueJob>();
  private readonly knownWorkers = new Map<string, KnownWorker>();
  /** Checks of requests waiting for a change (long polls, runsync, status-sync). */
  private readonly waiters = new Set<() => void>();
  private readonly sweepTimer: NodeJS.Timeout;
  private retriedCount = 0;
  private closed = false;

  constructor(options: FakeServerlessQueueOptions) {
    this.endpointId = options.endpointId;
    this.userKeys = new Set(options.userKeys);
    this.workerKey = options.workerKey;
    this.now = options.now ?? Date.now;
    this.pingIntervalMs = options.pingIntervalMs ?? 10_000;
    this.longPollMs = options.longPollMs ?? 2_000;
    // Timeouts and lost workers are also noticed between requests, so a runsync waiting on them ends.
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  /** Answers a job-API or worker-protocol request; undefined for any other path. */
  async handle(request: FakeQueueRequest): Promise<FakeQueueAnswer | undefined> {
    const [call, ...rest] = request.subpath.split('/').filter(Boolean);
    const isJobApi = (JOB_API_CALLS as readonly string[]).includes(call ?? '');
    const isWorker = (WORKER_CALLS as readonly string[]).includes(call ?? '');
    if (!isJobApi && !isWorker) return undefined;
    this.requests.push({ ...request, call: call as FakeQueueCall, receivedAt: this.now() });
    if (isJobApi ? !this.isUserKey(request.authorization) : request.authorization !== this.workerKey) return json(401, { error: 'Unauthorized' });
    this.sweep();
    return isJobApi ? this.answerJobApi(call as FakeQueueCall, rest, request) : this.answerWorker(call as FakeQueueCall, rest, request);
  }

  /** The environment RunPod gives a worker of this endpoint, with `origin` in place of `https://api.runpod.ai`. */
  workerEnvironment(origin: string, workerId: string): Record<string, string> {
    const base = `${origin}/v2/${this.endpointId}`;
    return {
      RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID${WORKER_URL_QUERY}`,
      RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID${WORKER_URL_QUERY}`,
      RUNPOD_WEBHOOK_POST_STREAM: `${base}/job-stream/$RUNPOD_POD_ID/$ID${WORKER_URL_QUERY}`,
      RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID${WORKER_URL_QUERY}`,
      RUNPOD_PING_INTERVAL: String(this.pingIntervalMs),
      RUNPOD_AI_API_KEY: this.workerKey,
      RUNPOD_POD_ID: workerId,
      RUNPOD_ENDPOINT_ID: this.endpointId,
    };
  }

  /** Workers heard from (takes, posts, pings) within the last three ping intervals: running a job or idle. */
  workers(): { idle: number; running: number } {
    let idle = 0;
    let running = 0;
    for (const workerId of this.liveWorkerIds()) {
      if (this.jobsOf(workerId).length) running += 1;
      else idle += 1;
    }
    return { idle, running };
  }

  /** Whether a worker asked to be replaced (`stopPod: true` on a done post). */
  stopRequested(workerId: string): boolean {
    return this.knownWorkers.get(workerId)?.stopRequested ?? false;
  }

  requestsOf(call: FakeQueueCall): FakeQueueRecord[] {
    return this.requests.filter((request) => request.call === call);
  }

  /** Ends pending long polls and waits; later requests are answered without waiting. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.changed();
  }

  private isUserKey(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    return match !== null && this.userKeys.has(match[1]!.trim());
  }

  private async answerJobApi(call: FakeQueueCall, [jobId]: string[], request: FakeQueueRequest): Promise<FakeQueueAnswer> {
    if (call === 'run' || call === 'runsync') return this.submit(call, request);
    if (call === 'purge-queue') return this.purgeQueue();
    if (call === 'health') return json(200, this.health());
    const job = jobId ? this.jobs.get(jobId) : undefined;
    if (!job) return json(404, { error: `job ${jobId ?? ''} not found` });
    switch (call) {
      case 'status':
        return json(200, this.statusOf(job));
      case 'status-sync':
        await this.waitFor(() => (isFinal(job.status) ? job : undefined), this.waitMs(request.query), request.signal);
        return json(200, this.statusOf(job));
      case 'stream':
        return json(200, this.drainStream(job));
      case 'cancel':
        return json(200, this.cancel(job));
      default:
        return this.retry(job);
    }
  }

  private async submit(call: 'run' | 'runsync', request: FakeQueueRequest): Promise<FakeQueueAnswer> {
    if (Buffer.byteLength(request.body) > MAX_BODY_BYTES[call]!) return json(413, { error: `the request body is larger than ${MAX_BODY_BYTES[call]} bytes` });
    const parsed = parseJson(request.body);
    if (!parsed || !isRecord(parsed.value)) return json(400, { error: 'the body must be a JSON object' });
    const { input, webhook, policy } = parsed.value;
    if (input === undefined) return json(400, { error: 'input is required' });
    const now = this.now();
    const policyFields = isRecord(policy) ? policy : {};
    const job: FakeQueueJob = {
      id: `${call === 'runsync' ? 'sync-' : ''}${randomUUID()}-u1`,
      input,
      webhook: typeof webhook === 'string' ? webhook : undefined,
      executionTimeoutMs: positiveNumber(policyFields.executionTimeout, DEFAULT_EXECUTION_TIMEOUT_MS),
      submittedAt: now,
      expiresAt: now + positiveNumber(policyFields.ttl, DEFAULT_TTL_MS),
      retainedForMs: RESULT_RETENTION_MS[call],
      status: 'IN_QUEUE',
      chunks: [],
      chunksDrained: 0,
    };
    this.jobs.set(job.id, job);
    this.changed();
    if (call === 'run') return json(200, { id: job.id, status: job.status });
    await this.waitFor(() => (isFinal(job.status) ? job : undefined), this.waitMs(request.query), request.signal);
    return json(200, isFinal(job.status) ? this.statusOf(job) : { id: job.id, status: job.status });
  }

  private waitMs(query: URLSearchParams): number {
    const asked = Number(query.get('wait') ?? RUNSYNC_WAIT_MS.default);
    return Number.isFinite(asked) ? Math.min(Math.max(asked, RUNSYNC_WAIT_MS.min), RUNSYNC_WAIT_MS.max) : RUNSYNC_WAIT_MS.default;
  }

  private statusOf(job: FakeQueueJob): Record<string, unknown> {
    const delayTime = job.startedAt === undefined ? undefined : job.startedAt - job.submittedAt;
    const executionTime = job.startedAt === undefined ? undefined : (job.finishedAt ?? this.now()) - job.startedAt;
    return {
      id: job.id,
      status: job.status,
      ...(delayTime !== undefined && { delayTime }),
      ...(executionTime !== undefined && { executionTime }),
      ...(job.workerId !== undefined && { workerId: job.workerId }),
      ...(job.output !== undefined && { output: job.output }),
      ...(job.error !== undefined && { error: job.error }),
    };
  }

  /** The chunks posted since the last /stream call. */
  private drainStream(job: FakeQueueJob): { status: FakeQueueStatus; stream: { output: unknown }[] } {
    const fresh = job.chunks.slice(job.chunksDrained);
    job.chunksDrained = job.chunks.length;
    return { status: job.status, stream: fresh.map((output) => ({ output })) };
  }

  private cancel(job: FakeQueueJob): { id: string; status: FakeQueueStatus } {
    if (!isFinal(job.status)) this.end(job, 'CANCELLED');
    return { id: job.id, status: job.status };
  }

  private retry(job: FakeQueueJob): FakeQueueAnswer {
    if (job.status !== 'FAILED' && job.status !== 'TIMED_OUT')
      return json(400, { error: `job ${job.id} is ${job.status}; only FAILED or TIMED_OUT jobs can be retried` });
    this.requeue(job);
    this.retriedCount += 1;
    this.changed();
    return json(200, { id: job.id, status: job.status });
  }

  private purgeQueue(): FakeQueueAnswer {
    let removed = 0;
    for (const job of this.jobs.values()) {
      if (job.status !== 'IN_QUEUE') continue;
      this.jobs.delete(job.id);
      removed += 1;
    }
    return json(200, { removed, status: 'completed' });
  }

  private health() {
    const count = (...statuses: FakeQueueStatus[]) => [...this.jobs.values()].filter((job) => statuses.includes(job.status)).length;
    return {
      jobs: {
        completed: count('COMPLETED'),
        failed: count('FAILED', 'TIMED_OUT'),
        inProgress: count('IN_PROGRESS'),
        inQueue: count('IN_QUEUE'),
        retried: this.retriedCount,
      },
      workers: this.workers(),
    };
  }

  private async answerWorker(call: FakeQueueCall, [workerId, jobId]: string[], request: FakeQueueRequest): Promise<FakeQueueAnswer> {
    if (!workerId) return json(400, { error: 'the path names no worker' });
    const worker = this.heardFrom(workerId);
    switch (call) {
      case 'job-take': {
        const job = await this.waitFor(() => this.takeOldest(workerId), this.longPollMs, request.signal);
        return job ? json(200, this.handedOut(job)) : noContent;
      }
      case 'job-take-batch': {
        const batchSize = Math.max(1, Math.floor(Number(request.query.get('batch_size') ?? 1)) || 1);
        const jobs = await this.waitFor(() => this.takeBatch(workerId, batchSize), this.longPollMs, request.signal);
        return jobs
          ? json(
              200,
              jobs.map((job) => this.handedOut(job)),
            )
          : noContent;
      }
      case 'job-stop': {
        const jobsToStop = await this.waitFor(() => (worker.jobsToStop.size ? this.drainJobsToStop(worker) : undefined), this.longPollMs, request.signal);
        return jobsToStop ? json(200, { jobsToStop }) : noContent;
      }
      case 'ping':
        return { status: 200 };
      default:
        return this.acceptPost(call, workerId, jobId, request.body);
    }
  }

  private heardFrom(workerId: string): KnownWorker {
    const worker = this.knownWorkers.get(workerId) ?? { lastSeenAt: 0, jobsToStop: new Set<string>(), stopRequested: false };
    worker.lastSeenAt = this.now();
    this.knownWorkers.set(workerId, worker);
    return worker;
  }

  private takeOldest(workerId: string): FakeQueueJob | undefined {
    return this.takeBatch(workerId, 1)?.[0];
  }

  private takeBatch(workerId: string, batchSize: number): FakeQueueJob[] | undefined {
    const queued = [...this.jobs.values()].filter((job) => job.status === 'IN_QUEUE').slice(0, batchSize);
    if (!queued.length) return undefined;
    const now = this.now();
    for (const job of queued) Object.assign(job, { status: 'IN_PROGRESS', workerId, startedAt: now });
    this.changed();
    return queued;
  }

  /** A job as job-take hands it out: runpod-python needs `id` and `input` (rp_job.py get_job). */
  private handedOut(job: FakeQueueJob): Record<string, unknown> {
    return { id: job.id, input: job.input, ...(job.webhook !== undefined && { webhook: job.webhook }) };
  }

  private drainJobsToStop(worker: KnownWorker): string[] {
    const ids = [...worker.jobsToStop];
    worker.jobsToStop.clear();
    return ids;
  }

  /**
   * A done or stream post. Posts for a job that is no longer this worker's running job (late,
   * duplicated, after a cancel or a hand-over to another worker) are accepted and ignored, as a
   * worker cannot act on a refusal.
   */
  private acceptPost(call: FakeQueueCall, workerId: string, jobId: string | undefined, text: string): FakeQueueAnswer {
    const job = jobId ? this.jobs.get(jobId) : undefined;
    if (!job) return json(404, { error: `job ${jobId ?? ''} not found` });
    const parsed = parseJson(text);
    if (!parsed || !isRecord(parsed.value)) return json(400, { error: 'the body must be the JSON text of an object' });
    const body = parsed.value as WorkerBody;
    if (call === 'job-done' && body.stopPod === true) this.knownWorkers.get(workerId)!.stopRequested = true;
    if (job.status !== 'IN_PROGRESS' || job.workerId !== workerId) return { status: 200 };
    if (call === 'job-stream') {
      job.chunks.push(body.output);
    } else if (body.status === 'IN_PROGRESS') {
      job.output = body.output;
    } else if (body.error !== undefined && body.error !== null && body.error !== '') {
      job.output = body.output;
      job.error = body.error;
      this.end(job, 'FAILED');
    } else {
      job.output = body.output;
      this.end(job, 'COMPLETED');
    }
    return { status: 200 };
  }

  private end(job: FakeQueueJob, status: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT'): void {
    const runningOn = job.status === 'IN_PROGRESS' ? job.workerId : undefined;
    job.status = status;
    job.finishedAt = this.now();
    // A cancelled or timed-out job's worker is told on job-stop; RunPod ignores its later posts.
    if (runningOn && (status === 'CANCELLED' || status === 'TIMED_OUT')) this.knownWorkers.get(runningOn)?.jobsToStop.add(job.id);
    if (status === 'CANCELLED' || status === 'TIMED_OUT') job.output = undefined;
    this.changed();
  }

  private requeue(job: FakeQueueJob): void {
    Object.assign(job, { status: 'IN_QUEUE', workerId: undefined, startedAt: undefined, finishedAt: undefined, output: undefined, error: undefined });
  }

  private jobsOf(workerId: string): FakeQueueJob[] {
    return [...this.jobs.values()].filter((job) => job.status === 'IN_PROGRESS' && job.workerId === workerId);
  }

  private liveWorkerIds(): string[] {
    const since = this.now() - this.pingIntervalMs * LOST_AFTER_PING_INTERVALS;
    return [...this.knownWorkers].filter(([, worker]) => worker.lastSeenAt >= since).map(([workerId]) => workerId);
  }

  /** Drops jobs past their TTL or their result's retention, times out jobs past their execution timeout, and requeues the jobs of lost workers. */
  private sweep(): void {
    const now = this.now();
    const live = new Set(this.liveWorkerIds());
    let changed = false;
    for (const job of this.jobs.values()) {
      if (job.status !== 'IN_PROGRESS') {
        const retainedUntil = job.finishedAt === undefined ? Infinity : job.finishedAt + job.retainedForMs;
        if (now >= Math.min(job.expiresAt, retainedUntil)) this.jobs.delete(job.id);
        continue;
      }
      if (now - job.startedAt! >= job.executionTimeoutMs) {
        this.end(job, 'TIMED_OUT');
      } else if (!live.has(job.workerId!)) {
        this.requeue(job);
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Resolves with `attempt`'s first defined result, tried now and after every change, or undefined after `ms` (or on close, or abort). */
  private waitFor<T>(attempt: () => T | undefined, ms: number, signal?: AbortSignal): Promise<T | undefined> {
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    const first = attempt();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve) => {
      const finish = (value: T | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', abandon);
        resolve(value);
      };
      const abandon = () => finish(undefined);
      signal?.addEventListener('abort', abandon, { once: true });
      const check = () => {
        if (this.closed) return finish(undefined);
        const value = attempt();
        if (value !== undefined) finish(value);
      };
      const timer = setTimeout(() => finish(undefined), ms);
      this.waiters.add(check);
    });
  }
}

/**
 * Reads a request for the queue; `subpath` is its path after `/v2/{endpointId}/`, without the query.
 * Given the response, the request's signal aborts when the caller closes the connection before the answer.
 */
export async function readFakeQueueRequest(request: IncomingMessage, subpath: string, response?: ServerResponse): Promise<FakeQueueRequest> {
  const gone = new AbortController();
  response?.once('close', () => {
    if (!response.writableFinished) gone.abort();
  });
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return {
    method: request.method ?? 'GET',
    subpath,
    query: new URL(request.url ?? '/', 'http://fake').searchParams,
    authorization: request.headers.authorization,
    contentType: request.headers['content-type'],
    body: Buffer.concat(chunks).toString('utf8'),
    signal: gone.signal,
  };
}

export function sendFakeQueueAnswer(response: ServerResponse, answer: FakeQueueAnswer): void {
  if (answer.body === undefined) {
    response.writeHead(answer.status, answer.headers);
    response.end();
    return;
  }
  response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
  response.end(JSON.stringify(answer.body));
}

export interface FakeServerlessEndpointOptions extends Partial<Omit<FakeServerlessQueueOptions, 'userKeys'>> {
  userKeys?: string[];
}

/** A one-endpoint HTTP server around a queue, for tests of workers alone. */
export async function startFakeServerlessEndpoint(
  options: FakeServerlessEndpointOptions = {},
): Promise<{ url: string; queue: FakeServerlessQueue; close(): Promise<void> }> {
  const queue = new FakeServerlessQueue({
    ...options,
    endpointId: options.endpointId ?? 'fake-endpoint',
    userKeys: options.userKeys ?? ['user-key'],
    workerKey: options.workerKey ?? 'worker-key',
  });
  const prefix = `/v2/${queue.endpointId}/`;
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const answer = path.startsWith(prefix)
      ? readFakeQueueRequest(request, path.slice(prefix.length), response).then((queueRequest) => queue.handle(queueRequest))
      : Promise.resolve(undefined);
    answer
      .then((known) => sendFakeQueueAnswer(response, known ?? json(404, { error: `Unknown path ${path}` })))
      .catch((error: unknown) => sendFakeQueueAnswer(response, json(500, { error: String(error) })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queue,
    async close() {
      queue.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
