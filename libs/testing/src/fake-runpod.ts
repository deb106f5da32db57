import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type FakeRunPodStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

/** The job API calls the fake answers, as named in its records and fault filters. */
export type FakeRunPodCall = 'run' | 'status' | 'stream' | 'cancel' | 'health';

/** How a job ends once it has run for `runMs`. */
export type FakeJobEnd =
  | { outcome: 'COMPLETED'; output: unknown }
  | { outcome: 'FAILED'; error: unknown }
  | { outcome: 'TIMED_OUT' }
  /** Cancelled at the remote (by someone else than the test's client). */
  | { outcome: 'CANCELLED' }
  /** Runs until cancelled. */
  | { outcome: 'HANG' };

/** A job's script, times in ms from its submission (`queueMs`) or from its start (the rest). */
export interface FakeJobBehaviour {
  /** Time IN_QUEUE before it starts. Default 0. */
  queueMs?: number;
  /** Time IN_PROGRESS before it ends. Default 0. */
  runMs?: number;
  /** Progress values (an IN_PROGRESS job's `output` on /status), each from `afterMs` after the start. */
  progress?: readonly { afterMs: number; value: unknown }[];
  /** Stream chunks, each available on /stream from `afterMs` after the start (all of them by the end). */
  chunks?: readonly { afterMs: number; output: unknown }[];
  /** Default: COMPLETED with `{echo: input}`. */
  end?: FakeJobEnd;
}

/**
 * An endpoint-wide fault, answered instead of the API:
 * - `http`: that status (429, 500, 503…), with Retry-After if given;
 * - `garbage`: 200 with a body that is not the API (default an HTML page);
 * - `redirect`: a 3xx to `location`;
 * - `slow`: answers as usual, after `delayMs`;
 * - `hang`: reads the request and never answers;
 * - `reset`: destroys the connection without an answer.
 */
export type FakeRunPodFault =
  | { kind: 'http'; status: number; retryAfter?: string; body?: string }
  | { kind: 'garbage'; body?: string; contentType?: string }
  | { kind: 'redirect'; location: string; status?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface FakeRunPodFaultScope {
  /** How many requests it answers before it is used up. Default: until `clearFaults`. */
  times?: number;
  /** Only these calls. Default: all. */
  calls?: readonly FakeRunPodCall[];
}

export interface FakeRunPodRequest {
  method: string;
  path: string;
  /** The call, when the path is one of the job API's. */
  call?: FakeRunPodCall;
  jobId?: string;
  /** The JSON body, parsed (or the raw text when it is not JSON); undefined without a body. */
  body: unknown;
  authorization?: string;
  /** Date.now() on arrival. */
  receivedAt: number;
  /** Set when a fault answered the request instead of the API. */
  fault?: FakeRunPodFault['kind'];
}

export interface FakeRunPodOptions {
  apiKey: string;
  endpointId: string;
  /** Chooses each job's script from its input. Default: complete at once with `{echo: input}`. */
  behaviour?: (input: unknown) => FakeJobBehaviour;
  /** What /health reports as workers. Default `{idle: 1, running: 0}`. */
  workers?: { idle: number; running: number };
  /** The clock the job scripts run on. Default Date.now. */
  now?: () => number;
}

interface FakeJob {
  id: string;
  input: unknown;
  behaviour: FakeJobBehaviour;
  submittedAt: number;
  /** After this (policy.ttl), the job is gone: 404. */
  expiresAt: number;
  cancelledAt?: number;
  chunksDrained: number;
}

interface ActiveFault {
  fault: FakeRunPodFault;
  remaining: number;
  calls?: readonly FakeRunPodCall[];
}

interface JobView {
  status: FakeRunPodStatus;
  delayTime?: number;
  executionTime?: number;
  output?: unknown;
  error?: unknown;
  /** Chunks available by now. */
  chunksAvailable: number;
}

const MAX_RUN_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_TTL_MS = 24 * 3600 * 1000;
const CALLS = new Set<FakeRunPodCall>(['run', 'status', 'stream', 'cancel', 'health']);

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A local stand-in for a RunPod serverless endpoint, speaking its job API (`/v2/{endpointId}/run`,
 * `status`, `stream`, `cancel`, `health`) with Bearer authentication. Jobs live in memory and follow
 * scripts chosen from their input; tests can inject endpoint-wide faults, take it down and bring it
 * back, and read every request it received.
 */
export class FakeRunPod {
  /** Requests in arrival order, faulted ones included. */
  readonly requests: FakeRunPodRequest[] = [];
  behaviour: (input: unknown) => FakeJobBehaviour;
  workers: { idle: number; running: number };
  /** The clock the job scripts run on; a test may set its own to step jobs through their scripts. */
  now: () => number;
  private readonly jobs = new Map<string, FakeJob>();
  private faults: ActiveFault[] = [];
  private readonly sockets = new Set<Socket>();
  private down = false;

  private constructor(
    private readonly server: Server,
    private readonly port: number,
    readonly apiKey: string,
    readonly endpointId: string,
    options: FakeRunPodOptions,
  ) {
    this.behaviour = options.behaviour ?? ((input) => ({ end: { outcome: 'COMPLETED', output: { echo: input } } }));
    this.workers = options.workers ?? { idle: 1, running: 0 };
    this.now = options.now ?? Date.now;
  }

  /** `http://127.0.0.1:<port>`: the base URL to give a client (which adds `/v2/{endpointId}`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(options: FakeRunPodOptions): Promise<FakeRunPod> {
    const server = createServer();
    await listen(server, 0);
    const fake = new FakeRunPod(server, (server.address() as AddressInfo).port, options.apiKey, options.endpointId, options);
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      fake.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
    });
    return fake;
  }

  /** Answers the next requests (see the scope) with the fault instead of the API. Faults are used in the order added. */
  injectFault(fault: FakeRunPodFault, scope: FakeRunPodFaultScope = {}): void {
    this.faults.push({ fault, remaining: scope.times ?? Infinity, calls: scope.calls });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Stops listening (new connections are refused) and destroys open connections. Jobs keep their state and clock. */
  async goDown(): Promise<void> {
    if (this.down) return;
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again, on the same port. */
  async comeBack(): Promise<void> {
    if (!this.down) return;
    await listen(this.server, this.port);
    this.down = false;
  }

  /** Requests of one call (and job). */
  requestsOf(call: FakeRunPodCall, jobId?: string): FakeRunPodRequest[] {
    return this.requests.filter((request) => request.call === call && (jobId === undefined || request.jobId === jobId));
  }

  /** The ids of the jobs submitted, in order. */
  jobIds(): string[] {
    return [...this.jobs.keys()];
  }

  /** The job's status now, as /status would answer it, or undefined when it is unknown. */
  statusOf(jobId: string): FakeRunPodStatus | undefined {
    const job = this.jobs.get(jobId);
    return job && this.view(job, this.now()).status;
  }

  /** Forgets a job, as RunPod does after its ttl: it answers 404 from now on. */
  forgetJob(jobId: string): void {
    this.jobs.delete(jobId);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.down) await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
    this.down = true;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const [version, endpointId, callName, jobId] = segments;
    const call = version === 'v2' && CALLS.has(callName as FakeRunPodCall) ? (callName as FakeRunPodCall) : undefined;
    const text = await readBody(request);
    const record: FakeRunPodRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      call,
      jobId,
      body: parseJson(text),
      authorization: request.headers.authorization,
      receivedAt: Date.now(), // real time, whatever the scripts' clock
    };
    this.requests.push(record);

    const fault = call && this.takeFault(call);
    if (fault?.kind === 'slow') {
      record.fault = fault.kind;
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    } else if (fault) {
      record.fault = fault.kind;
      return this.answerWithFault(fault, response);
    }
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      return sendJson(response, 401, { error: 'Unauthorized' });
    }
    if (version !== 'v2' || endpointId !== this.endpointId || !call) {
      return sendJson(response, 404, { error: `No such route: ${request.method} ${url.pathname}` });
    }
    const expectedMethod = call === 'run' || call === 'cancel' ? 'POST' : 'GET';
    const expectedSegments = call === 'run' || call === 'health' ? 3 : 4;
    if (request.method !== expectedMethod || segments.length !== expectedSegments) {
      return sendJson(response, 404, { error: `No such route: ${request.method} ${url.pathname}` });
    }
    if (call === 'run') return this.run(text, response);
    if (call === 'health') return sendJson(response, 200, this.health());

    const job = this.liveJob(jobId);
    if (!job) return sendJson(response, 404, { error: `job ${jobId} not found` });
    const now = this.now();
    if (call === 'status') {
      const { status, delayTime, executionTime, output, error } = this.view(job, now);
      return sendJson(response, 200, { id: job.id, status, delayTime, executionTime, output, error });
    }
    if (call === 'stream') {
      const view = this.view(job, now);
      const chunks = (job.behaviour.chunks ?? []).slice(job.chunksDrained, view.chunksAvailable);
      job.chunksDrained = Math.max(job.chunksDrained, view.chunksAvailable);
      return sendJson(response, 200, { status: view.status, stream: chunks.map(({ output }) => ({ output })) });
    }
    // cancel: a job that already ended keeps its status.
    if (!isFinal(this.view(job, now).status)) job.cancelledAt = now;
    return sendJson(response, 200, { id: job.id, status: this.view(job, now).status });
  }

  private run(text: string, response: ServerResponse): void {
    if (Buffer.byteLength(text) > MAX_RUN_BODY_BYTES) return sendJson(response, 413, { error: 'payload too large' });
    const body = parseJson(text) as { input?: unknown; policy?: { ttl?: unknown } } | undefined;
    if (typeof body !== 'object' || body === null || body.input === undefined) {
      return sendJson(response, 400, { error: 'the body must be a JSON object with an input' });
    }
    const now = this.now();
    const ttl = typeof body.policy?.ttl === 'number' ? body.policy.ttl : DEFAULT_TTL_MS;
    const job: FakeJob = {
      id: randomUUID(),
      input: body.input,
      behaviour: this.behaviour(body.input),
      submittedAt: now,
      expiresAt: now + ttl,
      chunksDrained: 0,
    };
    this.jobs.set(job.id, job);
    sendJson(response, 200, { id: job.id, status: 'IN_QUEUE' });
  }

  private health(): object {
    const counts = { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0 };
    const now = this.now();
    for (const job of this.jobs.values()) {
      const { status } = this.view(job, now);
      if (status === 'COMPLETED') counts.completed += 1;
      else if (status === 'FAILED' || status === 'TIMED_OUT') counts.failed += 1;
      else if (status === 'IN_PROGRESS') counts.inProgress += 1;
      else if (status === 'IN_QUEUE') counts.inQueue += 1;
    }
    return { jobs: counts, workers: { ...this.workers } };
  }

  private liveJob(jobId: string): FakeJob | undefined {
    const job = this.jobs.get(jobId);
    if (job && this.now() >= job.expiresAt) this.jobs.delete(jobId);
    return this.jobs.get(jobId);
  }

  /** The job's state at `now`, from its script. */
  private view(job: FakeJob, now: number): JobView {
    const { queueMs = 0, runMs = 0, progress = [], chunks = [], end = { outcome: 'COMPLETED', output: { echo: job.input } } } = job.behaviour;
    const startedAt = job.submittedAt + queueMs;
    const endsAt = end.outcome === 'HANG' ? Infinity : startedAt + runMs;
    const stoppedAt = Math.min(now, endsAt, job.cancelledAt ?? Infinity);
    const cancelled = job.cancelledAt !== undefined && job.cancelledAt < endsAt && job.cancelledAt <= now;
    if (stoppedAt < startedAt) {
      return cancelled ? { status: 'CANCELLED', chunksAvailable: 0 } : { status: 'IN_QUEUE', chunksAvailable: 0 };
    }
    const ranMs = stoppedAt - startedAt;
    const delayTime = queueMs;
    const chunksAvailable = chunks.filter((chunk) => chunk.afterMs <= ranMs || stoppedAt === endsAt).length;
    if (cancelled) return { status: 'CANCELLED', delayTime, executionTime: ranMs, chunksAvailable };
    if (now < endsAt) {
      const latest = progress.filter((entry) => entry.afterMs <= ranMs).at(-1);
      return { status: 'IN_PROGRESS', delayTime, output: latest?.value, chunksAvailable };
    }
    const executionTime = runMs;
    switch (end.outcome) {
      case 'COMPLETED':
        return { status: 'COMPLETED', delayTime, executionTime, output: end.output, chunksAvailable };
      case 'FAILED':
        return { status: 'FAILED', delayTime, executionTime, error: end.error, chunksAvailable };
      default:
        return { status: end.outcome as 'TIMED_OUT' | 'CANCELLED', delayTime, executionTime, chunksAvailable };
    }
  }

  private takeFault(call: FakeRunPodCall): FakeRunPodFault | undefined {
    const active = this.faults.find((entry) => entry.remaining > 0 && (!entry.calls || entry.calls.includes(call)));
    if (!active) return undefined;
    active.remaining -= 1;
    return active.fault;
  }

  private answerWithFault(fault: FakeRunPodFault, response: ServerResponse): void {
    switch (fault.kind) {
      case 'http':
        response.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.retryAfter !== undefined && { 'Retry-After': fault.retryAfter }) });
        response.end(fault.body ?? JSON.stringify({ error: `fault: HTTP ${fault.status}` }));
        return;
      case 'garbage':
        response.writeHead(200, { 'Content-Type': fault.contentType ?? 'text/html' });
        response.end(fault.body ?? '<html><body>Bad gateway, sort of</body></html>');
        return;
      case 'redirect':
        response.writeHead(fault.status ?? 302, { Location: fault.location });
        response.end();
        return;
      case 'slow':
      case 'hang':
        return; // the socket stays open until the client gives up or the fake stops
      case 'reset':
        response.socket?.destroy();
        return;
    }
  }
}

function isFinal(status: FakeRunPodStatus): boolean {
  return status !== 'IN_QUEUE' && status !== 'IN_PROGRESS';
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
