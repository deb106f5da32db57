import type { CircuitBreaker } from '@switchyard/routing';
import { isFinalStatus, type JobStatus, untilAborted } from '@switchyard/shared';
import { reportCallOutcome } from './breaker-reporting';
import {
  isRetryableRemoteError,
  RemoteCallError,
  RemoteHttpError,
  RemoteJobCancelledError,
  RemoteJobFailedError,
  RemoteJobNotAcceptedError,
  RemoteJobTimedOutError,
  RemoteFollowDetachedError,
  RemoteLostError,
  type RemoteLostReason,
} from './errors';
import { abortableDelay, backoffDelayMs } from './retry-delays';
import type { RunPodEndpointClient } from './runpod-endpoint-client';

/** One job of ours to run on a remote endpoint. */
export interface RemoteJob {
  input: unknown;
  /** Forwarded as RunPod's `policy`, so the remote enforces the same limits. */
  policy: { executionTimeout: number; ttl: number };
  /** The remote job started before (by an earlier run of ours, saved with `saveRemoteJobId`): follow it instead of submitting again. */
  remoteJobId?: string;
}

export interface RemoteExecutionHooks {
  /** Aborts on our cancel or our execution timeout: the remote job is cancelled and the execution rejects with `signal.reason`. */
  signal: AbortSignal;
  /** A new progress value (an IN_PROGRESS job's `output`), only when it changed. */
  progress(value: unknown): void | Promise<void>;
  /** Each stream chunk's `output`, once and in order. */
  stream(chunk: unknown): void | Promise<void>;
  /** Persists the remote id; awaited before any waiting, so a restarted caller resumes the same remote job. */
  saveRemoteJobId(remoteJobId: string): void | Promise<void>;
  /** The remote's circuit breaker: consulted before each submission, and told every call's outcome. */
  breaker?: CircuitBreaker;
  /**
   * Aborts to stop following without touching the remote job (our process is stopping): the
   * execution rejects with RemoteFollowDetachedError, and a caller resumes it by its remote id.
   */
  detach?: AbortSignal;
}

export interface RemoteExecutionOptions {
  /** The first wait between polls, and the wait after anything changed. */
  pollIntervalMinMs?: number;
  /** The wait between polls doubles while nothing changes, up to this. */
  pollIntervalMaxMs?: number;
  /** Submissions after the first, for 429s, 5xx and calls without an answer. */
  submitRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After longer than this is not waited for: the submission gives up, so the caller can go elsewhere; while following, the wait is capped to it. */
  maxRetryAfterMs?: number;
  /** Polls failing (no answer, 5xx) without a break for longer than this mean the remote is lost. */
  deadAfterMs?: number;
  /** Limit of the best-effort `/cancel`. */
  cancelTimeoutMs?: number;
  /** Source of the backoff's jitter, in [0, 1). */
  random?: () => number;
}

export const DEFAULT_REMOTE_EXECUTION_OPTIONS: Readonly<Required<RemoteExecutionOptions>> = Object.freeze({
  pollIntervalMinMs: 100,
  pollIntervalMaxMs: 1000,
  submitRetries: 4,
  backoffBaseMs: 200,
  backoffMaxMs: 5000,
  maxRetryAfterMs: 10_000,
  deadAfterMs: 15_000,
  cancelTimeoutMs: 2000,
  random: Math.random,
});

export interface RemoteExecutionResult {
  remoteJobId: string;
  output: unknown;
  /** The remote's queued→started and started→finished times in ms, when it reported them. */
  delayTime?: number;
  executionTime?: number;
}

type Settings = Readonly<Required<RemoteExecutionOptions>>;

/**
 * Runs one job of ours on a remote RunPod-compatible endpoint and mirrors it back.
 *
 * Submission: `/run`, retried with jittered exponential backoff (at least the remote's Retry-After)
 * on 429s, 5xx and calls without an answer, while the breaker admits them; otherwise it rejects
 * with RemoteJobNotAcceptedError. A `/run` that timed out may still have created a remote job we
 * never learn the id of: RunPod has no idempotency key, so that job is left to the remote's ttl.
 *
 * Following: each poll is a `/status` (status, progress as an IN_PROGRESS job's `output`, the result
 * or error), then, once the job has started, a `/stream` that drains the chunks produced so far.
 * Status comes first so that the `/stream` after a final status drains every last chunk before the
 * execution settles. Chunks are mirrored in order and once: the remote forgets them as it hands
 * them out (so a chunk drained just before a crash of ours is lost). The wait between polls goes
 * from `pollIntervalMinMs` to `pollIntervalMaxMs` while nothing changes.
 *
 * Ends: resolves on COMPLETED; FAILED, CANCELLED (at the remote) and TIMED_OUT reject with their
 * typed errors; a remote that stops answering for `deadAfterMs`, forgets the job (404) or answers
 * garbage rejects with RemoteLostError (after a best-effort cancel, unless the job vanished).
 * On `hooks.signal`'s abort the remote job is cancelled (best effort, `cancelTimeoutMs`, whatever
 * the breaker says) and the execution rejects with `signal.reason`. Every call has the client's
 * timeout, and the caller's signal bounds the whole execution. An error thrown by a hook rejects the
 * execution as it is and leaves the remote job running, for an execution resumed by its id to follow.
 */
export async function executeRemoteJob(
  client: RunPodEndpointClient,
  job: RemoteJob,
  hooks: RemoteExecutionHooks,
  options: RemoteExecutionOptions = {},
): Promise<RemoteExecutionResult> {
  const settings: Settings = { ...DEFAULT_REMOTE_EXECUTION_OPTIONS, ...options };
  const { signal } = hooks;
  signal.throwIfAborted();
  let remoteJobId = job.remoteJobId;
  if (remoteJobId === undefined) {
    remoteJobId = await submit(client, job, hooks, settings);
    const submitted = remoteJobId;
    try {
      await untilAborted(Promise.resolve(hooks.saveRemoteJobId(submitted)), signal);
    } catch (error) {
      // A job we cannot resume must not run on unwatched.
      await cancelQuietly(client, submitted, settings);
      throw signal.aborted ? signal.reason : error;
    }
  }
  return new RemoteJobFollower(client, remoteJobId, hooks, settings).follow();
}

async function submit(client: RunPodEndpointClient, job: RemoteJob, hooks: RemoteExecutionHooks, settings: Settings): Promise<string> {
  const { signal, breaker } = hooks;
  for (let attempt = 1; ; attempt++) {
    const permit = breaker?.tryAcquire();
    if (breaker && !permit) throw new RemoteJobNotAcceptedError(client.remote, 'circuit-open', attempt - 1);
    const pending = client.run(job.input, job.policy);
    try {
      const answer = await untilAborted(pending, signal);
      reportCallOutcome(breaker, permit);
      return answer.id;
    } catch (error) {
      if (signal.aborted) {
        // The submission may still be accepted: cancel what it creates.
        void pending.then(
          (answer) => cancelQuietly(client, answer.id, settings),
          () => undefined,
        );
        throw signal.reason;
      }
      reportCallOutcome(breaker, permit, error);
      if (!isRetryableRemoteError(error)) throw new RemoteJobNotAcceptedError(client.remote, 'refused', attempt, { cause: error });
      const retryAfterMs = error instanceof RemoteHttpError ? error.retryAfterMs : undefined;
      if (attempt > settings.submitRetries || (retryAfterMs ?? 0) > settings.maxRetryAfterMs) {
        throw new RemoteJobNotAcceptedError(client.remote, 'retries-exhausted', attempt, { cause: error });
      }
      await abortableDelay(Math.max(retryAfterMs ?? 0, backoffDelayMs(attempt, settings.backoffBaseMs, settings.backoffMaxMs, settings.random)), signal);
    }
  }
}

async function cancelQuietly(client: RunPodEndpointClient, remoteJobId: string, settings: Settings): Promise<void> {
  try {
    await client.cancel(remoteJobId, { timeoutMs: settings.cancelTimeoutMs });
  } catch {
    // Best effort: the remote's own execution timeout (we forwarded ours) ends the job otherwise.
  }
}

/** Progress is compared by its JSON text: a value equal to the last one is not reported again. */
function progressKey(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

class RemoteJobFollower {
  private started = false;
  private streamed = false;
  private lastStatus: JobStatus | undefined;
  private lastProgress: string | undefined;
  /** When the current run of failing polls began. */
  private failingSince: number | undefined;
  /** Aborts on our cancel or timeout, or when the caller detaches. */
  private readonly stop: AbortSignal;

  constructor(
    private readonly client: RunPodEndpointClient,
    private readonly remoteJobId: string,
    private readonly hooks: RemoteExecutionHooks,
    private readonly settings: Settings,
  ) {
    this.stop = hooks.detach ? AbortSignal.any([hooks.signal, hooks.detach]) : hooks.signal;
  }

  async follow(): Promise<RemoteExecutionResult> {
    const { signal, detach } = this.hooks;
    let intervalMs = this.settings.pollIntervalMinMs;
    try {
      while (true) {
        const outcome = await this.pollOnce();
        if (outcome.kind === 'done') return outcome.result;
        intervalMs = outcome.changed ? this.settings.pollIntervalMinMs : Math.min(this.settings.pollIntervalMaxMs, intervalMs * 2);
        await abortableDelay(Math.max(intervalMs, outcome.waitAtLeastMs ?? 0), this.stop);
      }
    } catch (error) {
      if (signal.aborted) {
        await cancelQuietly(this.client, this.remoteJobId, this.settings);
        throw signal.reason;
      }
      if (detach?.aborted) throw new RemoteFollowDetachedError(this.client.remote, this.remoteJobId);
      throw error;
    }
  }

  private async pollOnce(): Promise<{ kind: 'done'; result: RemoteExecutionResult } | { kind: 'waiting'; changed: boolean; waitAtLeastMs?: number }> {
    const { breaker } = this.hooks;
    const signal = this.stop;
    const permit = breaker?.tryAcquire();
    let changed = false;
    try {
      const status = await untilAborted(this.client.status(this.remoteJobId), signal);
      if (status.status !== this.lastStatus) changed = true;
      this.lastStatus = status.status;
      if (status.status !== 'IN_QUEUE') this.started = true;
      if (status.status === 'IN_PROGRESS' || isFinalStatus(status.status)) {
        const drained = await untilAborted(this.client.stream(this.remoteJobId), signal);
        for (const chunk of drained.stream) {
          await this.hooks.stream(chunk.output);
          this.streamed = true;
          changed = true;
        }
      }
      reportCallOutcome(breaker, permit);
      this.failingSince = undefined;
      if (status.status === 'IN_PROGRESS' && status.output !== undefined && progressKey(status.output) !== this.lastProgress) {
        this.lastProgress = progressKey(status.output);
        await this.hooks.progress(status.output);
        changed = true;
      }
      switch (status.status) {
        case 'COMPLETED':
          return {
            kind: 'done',
            result: { remoteJobId: this.remoteJobId, output: status.output, delayTime: status.delayTime, executionTime: status.executionTime },
          };
        case 'FAILED':
          throw new RemoteJobFailedError(this.client.remote, this.remoteJobId, status.error);
        case 'CANCELLED':
          throw new RemoteJobCancelledError(this.client.remote, this.remoteJobId);
        case 'TIMED_OUT':
          throw new RemoteJobTimedOutError(this.client.remote, this.remoteJobId);
        default:
          return { kind: 'waiting', changed };
      }
    } catch (error) {
      // Outcomes thrown above and errors of our hooks are not the remote's calls failing.
      if (signal.aborted || !(error instanceof RemoteCallError)) throw error;
      reportCallOutcome(breaker, permit, error);
      return this.afterFailedPoll(error);
    }
  }

  private async afterFailedPoll(error: unknown): Promise<{ kind: 'waiting'; changed: false; waitAtLeastMs?: number }> {
    if (error instanceof RemoteHttpError && error.status === 404) throw this.lost('vanished', error);
    if (error instanceof RemoteHttpError && error.status === 429) {
      // Rate limited is alive: slow down, but it does not count towards the remote being lost.
      this.failingSince = undefined;
      return { kind: 'waiting', changed: false, waitAtLeastMs: Math.min(error.retryAfterMs ?? 0, this.settings.maxRetryAfterMs) };
    }
    if (!isRetryableRemoteError(error)) {
      await cancelQuietly(this.client, this.remoteJobId, this.settings);
      throw this.lost('unreadable', error);
    }
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince > this.settings.deadAfterMs) {
      await cancelQuietly(this.client, this.remoteJobId, this.settings);
      throw this.lost('unreachable', error);
    }
    return { kind: 'waiting', changed: false };
  }

  private lost(reason: RemoteLostReason, cause: unknown): RemoteLostError {
    return new RemoteLostError(this.client.remote, this.remoteJobId, reason, this.started, this.streamed, { cause });
  }
}
