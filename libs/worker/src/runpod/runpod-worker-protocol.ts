/*
 * RunPod's worker protocol, as runpod-python speaks it (runpod/runpod-python, runpod/serverless/…):
 *
 * Environment (RunPod sets it on every serverless worker):
 * - RUNPOD_WEBHOOK_GET_JOB: the take URL; `$ID` is replaced by the worker id (modules/rp_job.py
 *   JOB_GET_URL). It already carries a query: the SDK appends `&job_in_progress=0|1` (rp_job.py
 *   _job_get_url).
 * - RUNPOD_WEBHOOK_POST_OUTPUT, RUNPOD_WEBHOOK_POST_STREAM: `$RUNPOD_POD_ID` → worker id, `$ID` →
 *   job id (modules/rp_http.py JOB_DONE_URL / JOB_STREAM_URL, _handle_result).
 * - RUNPOD_WEBHOOK_PING: `$RUNPOD_POD_ID` → worker id; RUNPOD_PING_INTERVAL in ms, default 10000
 *   (modules/rp_ping.py Heartbeat).
 * - RUNPOD_AI_API_KEY: sent as the raw `Authorization` header value, no `Bearer` (runpod/http_client.py
 *   get_auth_header, rp_ping.py). RUNPOD_POD_ID: the worker id (modules/worker_state.py WORKER_ID,
 *   a uuid4 when unset). RUNPOD_ENDPOINT_ID: the endpoint.
 *
 * Take (rp_job.py get_job): GET the take URL + `&job_in_progress=1` when the worker has jobs running.
 * For more than one job, `/job-take/` becomes `/job-take-batch/` with `&batch_size=N`, answered
 * with a list (rp_job.py _job_get_url, newer SDKs; rp_scale.py asks for concurrency minus jobs
 * held). 204: no job; 400: "expected when FlashBoot is enabled", no job; 429: back off (the SDK
 * waits 5 s); 200: a job `{id, input, …}` (both required) or a list of them. Older SDKs slept 1 s
 * between takes (rp_job.py, 2023).
 *
 * Done (rp_http.py send_result/_transmit): POST the done URL + `&isStream=true|false` with the JSON
 * text of `{output}` or `{error}` as the body, under `Content-Type: application/x-www-form-urlencoded`
 * (aiohttp `data=` of a string: the JSON is sent as is, not form-encoded), 3 attempts with
 * Fibonacci backoff (aiohttp_retry FibonacciRetry(attempts=3); ExponentialRetry in older SDKs);
 * a post that still fails is logged and dropped. A handler's thrown error becomes
 * `{error: JSON.stringify({error_type, error_message, error_traceback, hostname, worker_id,
 * runpod_version})}` (rp_job.py run_job); a returned dict with `error` gives `{output: rest,
 * error}`; `refresh_worker` adds `stopPod: true`.
 *
 * Stream (rp_job.py handle_job, rp_http.py stream_result): each generator yield is POSTed to the
 * stream URL as `{output: chunk}`, same transport; the final done post has `isStream=true`.
 * Progress (modules/rp_progress.py progress_update): `{status: "IN_PROGRESS", output: progress}`
 * POSTed to the *done* URL (callers see it as the running job's output on /status).
 *
 * Ping (rp_ping.py _send_ping): GET the ping URL every interval with `job_id=<ids in progress,
 * comma-separated>` (omitted when none; worker_state.py JobsProgress.get_job_list) and
 * `runpod_version`, timeout 2 × interval, from its own process so a busy handler never starves it.
 * (`retry_ping` appears only in the SDK's ARCHITECTURE.md, not in its code.)
 *
 * Cancel and timeouts: RunPod ends the job itself (CANCELLED / TIMED_OUT) and ignores the worker's
 * later posts. Newer SDKs long-poll `/job-stop/` (the take URL with `/job-take/` → `/job-stop/`),
 * answered 204 or `{jobsToStop: [ids]}`, and cancel those jobs' tasks (rp_job.py / rp_scale.py at
 * runpod-python 760aea2, as read in a public deployment study); older SDKs are never told and run
 * the job to its end. A worker that stops pinging has its jobs handed to others (the platform's
 * side, not in the SDK).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { env, type Logger } from '@switchyard/shared';
import type { JobReporter } from '../job-context';

/** The RUNPOD_* variables a worker in RunPod serverless mode needs, as RunPod sets them. */
export const runPodEnvironmentSchema = z.object({
  RUNPOD_WEBHOOK_GET_JOB: env.url(['http:', 'https:']),
  RUNPOD_WEBHOOK_POST_OUTPUT: env.url(['http:', 'https:']),
  RUNPOD_WEBHOOK_POST_STREAM: env.url(['http:', 'https:']),
  RUNPOD_WEBHOOK_PING: env.url(['http:', 'https:']),
  RUNPOD_PING_INTERVAL: env.positiveInt(10_000),
  RUNPOD_AI_API_KEY: z.string().min(1),
  RUNPOD_POD_ID: z.string().min(1),
  RUNPOD_ENDPOINT_ID: z.string().min(1),
});

export type RunPodEnvironment = z.infer<typeof runPodEnvironmentSchema>;

/** A job as the take answered it. */
export interface TakenJob {
  id: string;
  input: unknown;
  /** The job's `policy.executionTimeout` when the platform hands it out; RunPod enforces it itself. */
  executionTimeoutMs?: number;
}

/** What a done post carries: the output, or RunPod's error string. */
export type JobResult = { output: unknown } | { error: string };

/** The platform asked this worker to slow down (429). */
export class RunPodThrottledError extends Error {
  override readonly name = 'RunPodThrottledError';
}

/** A worker-protocol call that failed: an unexpected status or a transport error. */
export class RunPodProtocolError extends Error {
  override readonly name = 'RunPodProtocolError';
  constructor(
    message: string,
    /** The HTTP status, when one came back. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** Worth another attempt: no answer, throttled, or a server error. */
  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }
}

export interface RunPodWorkerProtocolOptions {
  logger: Logger;
  /** Waits between the attempts of a post; its length + 1 attempts. Default: the SDK's 3 attempts, 1 s and 1 s apart. */
  retryDelaysMs?: readonly number[];
  /** Limit of a take or job-stop long poll (the SDK's is 90 s). */
  longPollTimeoutMs?: number;
  /** Limit of one post attempt. */
  postTimeoutMs?: number;
}

const TAKE_NO_JOB_STATUSES = new Set([204, 400]);
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** Named in pings where runpod-python names its version. */
const CLIENT_VERSION = 'switchyard';

/** Appends `name=value` to a URL as runpod-python does, leaving the URL's own query byte for byte. */
function withQuery(url: string, parameters: Record<string, string>): string {
  const query = new URLSearchParams(parameters).toString();
  return query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url;
}

function isTakenJob(value: unknown): value is { id: string; input: unknown; policy?: { executionTimeout?: unknown } } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' && (value as { input?: unknown }).input !== undefined
  );
}

/**
 * A serverless worker's side of RunPod's worker protocol (notes above): takes jobs, posts their
 * outputs, stream chunks and progress, and pings. Every call has a time limit; the API key only
 * ever goes in the Authorization header, never in a log line.
 */
export class RunPodWorkerProtocol implements JobReporter {
  private readonly takeUrl: string;
  private readonly pingUrl: string;
  private readonly retryDelaysMs: readonly number[];
  private readonly longPollTimeoutMs: number;
  private readonly postTimeoutMs: number;

  constructor(
    private readonly environment: RunPodEnvironment,
    private readonly options: RunPodWorkerProtocolOptions,
  ) {
    this.takeUrl = environment.RUNPOD_WEBHOOK_GET_JOB.replaceAll('$ID', environment.RUNPOD_POD_ID);
    this.pingUrl = environment.RUNPOD_WEBHOOK_PING.replaceAll('$RUNPOD_POD_ID', environment.RUNPOD_POD_ID);
    this.retryDelaysMs = options.retryDelaysMs ?? [1_000, 1_000];
    this.longPollTimeoutMs = options.longPollTimeoutMs ?? 90_000;
    this.postTimeoutMs = options.postTimeoutMs ?? 30_000;
  }

  get workerId(): string {
    return this.environment.RUNPOD_POD_ID;
  }

  get endpointId(): string {
    return this.environment.RUNPOD_ENDPOINT_ID;
  }

  get pingIntervalMs(): number {
    return this.environment.RUNPOD_PING_INTERVAL;
  }

  /** Takes up to `count` jobs (none when there are none); `signal` abandons the long poll. */
  async take(count: number, jobsInProgress: boolean, signal?: AbortSignal): Promise<TakenJob[]> {
    const url =
      count > 1
        ? withQuery(this.takeUrl.replace('/job-take/', '/job-take-batch/'), { batch_size: String(count), job_in_progress: jobsInProgress ? '1' : '0' })
        : withQuery(this.takeUrl, { job_in_progress: jobsInProgress ? '1' : '0' });
    const response = await this.send(url, { method: 'GET' }, this.longPollTimeoutMs, signal);
    if (TAKE_NO_JOB_STATUSES.has(response.status)) return [];
    if (response.status === 429) throw new RunPodThrottledError('RunPod asked this worker to slow down its takes (429)');
    if (response.status !== 200) throw new RunPodProtocolError(`job take answered ${response.status}`, response.status);
    const text = await response.text();
    if (!text) return [];
    const answered: unknown = JSON.parse(text);
    const candidates = Array.isArray(answered) ? answered : [answered];
    const jobs = candidates.filter(isTakenJob);
    if (jobs.length < candidates.length)
      this.options.logger.error({ received: candidates.length - jobs.length }, 'job take answered jobs without an id or input; they were dropped');
    return jobs.map(({ id, input, policy }) => ({
      id,
      input,
      ...(typeof policy?.executionTimeout === 'number' && policy.executionTimeout > 0 && { executionTimeoutMs: policy.executionTimeout }),
    }));
  }

  /**
   * Long-polls for the running jobs RunPod ended (cancelled, timed out); none when there are none.
   * Undefined when the platform has no job-stop call (older ones), so the caller stops asking.
   */
  async jobsToStop(signal?: AbortSignal): Promise<string[] | undefined> {
    const response = await this.send(this.takeUrl.replace('/job-take/', '/job-stop/'), { method: 'GET' }, this.longPollTimeoutMs, signal);
    if (response.status === 404 || response.status === 405) return undefined;
    if (response.status === 204) return [];
    if (response.status === 429) throw new RunPodThrottledError('RunPod asked this worker to slow down its job-stop polls (429)');
    if (response.status !== 200) throw new RunPodProtocolError(`job stop answered ${response.status}`, response.status);
    const { jobsToStop } = (await response.json()) as { jobsToStop?: unknown };
    return Array.isArray(jobsToStop) ? jobsToStop.filter((id): id is string => typeof id === 'string') : [];
  }

  /** Posts how a job ended; `streamed` when its outputs went out as stream chunks. Logged and dropped after the last attempt, as the SDK does. */
  async postResult(jobId: string, result: JobResult, streamed = false): Promise<void> {
    try {
      await this.post(this.jobUrl(this.environment.RUNPOD_WEBHOOK_POST_OUTPUT, jobId), { isStream: String(streamed) }, result);
    } catch (error) {
      this.options.logger.error({ err: error, jobId }, 'the job result could not be posted to RunPod');
    }
  }

  /** JobReporter: a progress update, which RunPod shows as the running job's output. */
  async progress(jobId: string, value: unknown): Promise<void> {
    await this.post(this.jobUrl(this.environment.RUNPOD_WEBHOOK_POST_OUTPUT, jobId), { isStream: 'false' }, { status: 'IN_PROGRESS', output: value });
  }

  /** JobReporter: one stream chunk, for callers' `GET /stream/{id}`. */
  async appendChunk(jobId: string, chunk: unknown): Promise<void> {
    await this.post(this.jobUrl(this.environment.RUNPOD_WEBHOOK_POST_STREAM, jobId), { isStream: 'false' }, { output: chunk });
  }

  /** One heartbeat naming the jobs in progress. */
  async ping(jobIds: readonly string[]): Promise<void> {
    const url = withQuery(this.pingUrl, { ...(jobIds.length && { job_id: jobIds.join(',') }), runpod_version: CLIENT_VERSION });
    const response = await this.send(url, { method: 'GET' }, this.pingIntervalMs * 2);
    await response.body?.cancel();
    if (!response.ok) throw new RunPodProtocolError(`ping answered ${response.status}`, response.status);
  }

  /** Pings now and every RUNPOD_PING_INTERVAL with the jobs `jobIds` names then, until stopped; a failed ping is logged and the beat goes on. */
  startHeartbeat(jobIds: () => readonly string[]): { stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const beat = () => {
      this.ping(jobIds())
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'RunPod ping failed'))
        .finally(() => {
          if (!stopped) timer = setTimeout(beat, this.pingIntervalMs).unref();
        });
    };
    beat();
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  private jobUrl(template: string, jobId: string): string {
    return template.replaceAll('$RUNPOD_POD_ID', this.environment.RUNPOD_POD_ID).replaceAll('$ID', jobId);
  }

  /** POSTs the JSON text of `body` as the SDK does, again after a transport error, a 429 or a 5xx answer. */
  private async post(url: string, query: Record<string, string>, body: unknown): Promise<void> {
    const target = withQuery(url, query);
    const init = { method: 'POST', headers: { 'Content-Type': FORM_CONTENT_TYPE }, body: JSON.stringify(body) };
    for (let attempt = 0; ; attempt += 1) {
      const failure = await this.attemptPost(target, init);
      if (!failure) return;
      const delay = this.retryDelaysMs[attempt];
      if (!failure.retryable || delay === undefined) throw failure;
      await sleep(delay);
    }
  }

  private async attemptPost(url: string, init: RequestInit): Promise<RunPodProtocolError | undefined> {
    try {
      const response = await this.send(url, init, this.postTimeoutMs);
      await response.body?.cancel();
      return response.ok ? undefined : new RunPodProtocolError(`POST ${new URL(url).pathname} answered ${response.status}`, response.status);
    } catch (error) {
      return error instanceof RunPodProtocolError ? error : new RunPodProtocolError(String(error));
    }
  }

  /** One HTTP call with the worker's key and a time limit; a transport error becomes a RunPodProtocolError that names no secret. */
  private async send(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const limit = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), Authorization: this.environment.RUNPOD_AI_API_KEY },
        signal: signal ? AbortSignal.any([limit, signal]) : limit,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const reason = limit.aborted ? `timed out after ${timeoutMs} ms` : (error as Error).message;
      throw new RunPodProtocolError(`${init.method} ${new URL(url).pathname} ${reason}`);
    }
  }
}
