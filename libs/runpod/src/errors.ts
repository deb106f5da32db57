import { SwitchyardError } from '@switchyard/shared';

/** The calls of RunPod's serverless job API that the client makes. */
export type RunPodCall = 'run' | 'runsync' | 'status' | 'stream' | 'cancel' | 'health';

/**
 * Errors of one call to a remote RunPod-compatible endpoint. `remote` names it by origin and
 * endpoint id only (`https://api.runpod.ai endpoint abc123`): never the API key, never a query string.
 */
export abstract class RemoteCallError extends SwitchyardError {
  protected constructor(
    readonly call: RunPodCall,
    readonly remote: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`RunPod ${call} at ${remote}: ${message}`, options);
  }
}

/** The remote answered with an HTTP error status. `retryAfterMs` comes from its Retry-After, when usable. */
export class RemoteHttpError extends RemoteCallError {
  constructor(
    call: RunPodCall,
    remote: string,
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    /** The first characters of the answer, with the API key removed should the remote echo it. */
    readonly bodyExcerpt: string,
  ) {
    super(call, remote, `answered HTTP ${status}${bodyExcerpt ? `: ${bodyExcerpt}` : ''}`);
  }
}

/** The remote answered something that is not the RunPod API: not JSON, the wrong shape or content type, too large. */
export class RemoteProtocolError extends RemoteCallError {
  constructor(
    call: RunPodCall,
    remote: string,
    /** What was wrong, e.g. `the body is not JSON` or `stream.0: expected an object`. */
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(call, remote, `answered something that is not the RunPod API: ${problem}`, options);
  }
}

/**
 * The remote answered with a redirect. Remote URLs are operator configuration, so a redirect is a
 * configuration error to fix (a wrong scheme or host), never followed: it could send the API key elsewhere.
 */
export class RemoteRedirectError extends RemoteCallError {
  constructor(
    call: RunPodCall,
    remote: string,
    readonly status: number,
    /** The origin and path the redirect pointed to, without its query string. */
    readonly location: string | undefined,
  ) {
    super(call, remote, `redirected (HTTP ${status}) to ${location ?? '(no location)'}; redirects are not followed, configure the final URL`);
  }
}

/** The address policy refused the remote's URL or address (e.g. an internal address under the public-only policy): nothing was sent. */
export class RemoteDestinationRefusedError extends RemoteCallError {
  constructor(call: RunPodCall, remote: string, detail: string, options?: ErrorOptions) {
    super(call, remote, `refused by the address policy: ${detail}`, options);
  }
}

/** No answer: the connection failed or broke, the host did not resolve, or the call timed out. */
export class RemoteUnreachableError extends RemoteCallError {
  constructor(
    call: RunPodCall,
    remote: string,
    readonly timedOut: boolean,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(call, remote, `unreachable: ${detail}`, options);
  }
}

/**
 * Whether trying the same call again later may succeed: 429s, 5xx answers and calls that got no
 * answer. Everything else is not: other 4xx (the key, the endpoint id or the input is wrong),
 * redirects and refused destinations (configuration), and protocol errors (what answers is not a
 * RunPod API, and asking again will not make it one).
 */
export function isRetryableRemoteError(error: unknown): boolean {
  if (error instanceof RemoteUnreachableError) return true;
  return error instanceof RemoteHttpError && (error.status === 429 || error.status >= 500);
}

/** Errors of running one job of ours on a remote endpoint, all naming the remote. */
export abstract class RemoteExecutionError extends SwitchyardError {}

export type NotAcceptedReason = 'circuit-open' | 'retries-exhausted' | 'refused';

/**
 * `/run` never gave a job id, so the remote holds no job of ours (but see `executeRemoteJob` on a
 * `/run` that timed out): running the job elsewhere cannot run it twice.
 * - `circuit-open`: the circuit breaker refused the call;
 * - `retries-exhausted`: every attempt met a retryable error (the last one is the cause);
 * - `refused`: a non-retryable error (401, 400, a protocol error, a redirect…; the cause).
 */
export class RemoteJobNotAcceptedError extends RemoteExecutionError {
  constructor(
    readonly remote: string,
    readonly reason: NotAcceptedReason,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    const why =
      reason === 'circuit-open' ? `its circuit breaker is open` : reason === 'retries-exhausted' ? `${attempts} attempt(s) failed` : 'it refused the job';
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`The remote ${remote} never accepted the job (${why})${cause}`, options);
  }
}

/** The remote job ended FAILED; `remoteError` is its `error`, a string or an object, as the remote gave it. */
export class RemoteJobFailedError extends RemoteExecutionError {
  constructor(
    readonly remote: string,
    readonly remoteJobId: string,
    readonly remoteError: unknown,
  ) {
    const detail = typeof remoteError === 'string' ? remoteError : JSON.stringify(remoteError ?? null);
    super(`Remote job ${remoteJobId} at ${remote} failed: ${detail.slice(0, 500)}`);
  }
}

/** The remote job was cancelled at the remote, not by us. */
export class RemoteJobCancelledError extends RemoteExecutionError {
  constructor(
    readonly remote: string,
    readonly remoteJobId: string,
  ) {
    super(`Remote job ${remoteJobId} at ${remote} was cancelled at the remote`);
  }
}

/** The remote job ran past the remote's own execution timeout. */
export class RemoteJobTimedOutError extends RemoteExecutionError {
  constructor(
    readonly remote: string,
    readonly remoteJobId: string,
  ) {
    super(`Remote job ${remoteJobId} at ${remote} timed out at the remote`);
  }
}

/**
 * - `unreachable`: polls failed (no answer, 5xx) without a break for longer than `deadAfterMs`;
 * - `vanished`: the remote no longer knows the job (404: restarted, or its ttl passed);
 * - `unreadable`: polls got answers we cannot act on (401/403, a protocol error, a redirect).
 */
export type RemoteLostReason = 'unreachable' | 'vanished' | 'unreadable';

/**
 * We can no longer follow the remote job. `started` says whether the remote was ever seen running
 * it, `streamed` whether any stream chunk was already mirrored, both by this execution (a resumed
 * one knows nothing of the chunks mirrored before it): the caller may run the job locally when
 * nothing was streamed, and should otherwise fail it with this error.
 */
export class RemoteLostError extends RemoteExecutionError {
  constructor(
    readonly remote: string,
    readonly remoteJobId: string,
    readonly reason: RemoteLostReason,
    readonly started: boolean,
    readonly streamed: boolean,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      `Lost remote job ${remoteJobId} at ${remote} (${reason}; ${started ? 'it had started' : 'not seen started'}, ` +
        `${streamed ? 'chunks were already streamed' : 'no chunk streamed'})${cause}`,
      options,
    );
  }
}

/** We stopped following the remote job on purpose (our process is stopping); it runs on, to be resumed by its id. */
export class RemoteFollowDetachedError extends RemoteExecutionError {
  constructor(
    readonly remote: string,
    readonly remoteJobId: string,
  ) {
    super(`Stopped following remote job ${remoteJobId} at ${remote}; it runs on there`);
  }
}
