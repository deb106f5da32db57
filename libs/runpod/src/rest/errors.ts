import { SwitchyardError } from '@switchyard/shared';

/** The operations of RunPod's REST v2 management API that the client makes (their OpenAPI operationIds). */
export type RunPodRestOperation =
  | 'listGpuTypes'
  | 'createTemplate'
  | 'getTemplate'
  | 'deleteTemplate'
  | 'createEndpoint'
  | 'listEndpoints'
  | 'getEndpoint'
  | 'updateEndpoint'
  | 'deleteEndpoint'
  | 'listEndpointWorkers';

/** An RFC 9457 problem document as RunPod sends it (`ErrorResponse`), or what a legacy `{error}` body said. */
export interface RunPodProblem {
  type?: string;
  title?: string;
  detail?: string;
  status?: number;
  /** Individual request-validation failures (422), e.g. `$: additional properties 'bogus' not allowed`. */
  errors?: string[];
}

/** Errors of one call to RunPod's REST API. No message, field or cause text ever carries the API key. */
export abstract class RunPodRestError extends SwitchyardError {
  protected constructor(
    readonly operation: RunPodRestOperation,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * RunPod answered with an error status. `message` is RunPod's own wording (the problem's detail, its
 * validation errors, else its title), so it can be shown as RunPod said it.
 */
export class RunPodApiError extends RunPodRestError {
  constructor(
    operation: RunPodRestOperation,
    readonly status: number,
    readonly problem: RunPodProblem,
    message: string,
  ) {
    super(operation, message);
  }
}

/** 401 (the key is missing, wrong or expired) or 403 (the key lacks the permission or the resource). */
export class RunPodAuthError extends RunPodApiError {}

/** Still 429 after the retries, or a wait longer than the client would sit through. */
export class RunPodRateLimitedError extends RunPodApiError {
  constructor(
    operation: RunPodRestOperation,
    problem: RunPodProblem,
    message: string,
    /** When RunPod says the quota comes back (RateLimit or Retry-After), if it said. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(operation, 429, problem, message);
  }
}

/** No usable answer after the retries: timeouts, connection failures, or 5xx answers (then `status` is set). */
export class RunPodUnavailableError extends RunPodRestError {
  constructor(
    operation: RunPodRestOperation,
    readonly attempts: number,
    detail: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(operation, `RunPod ${operation} is unavailable (${attempts} attempt(s)): ${detail}`, options);
  }
}

/** What answered is not RunPod's REST API: not JSON, an unexpected shape or content type, a redirect, too large. */
export class RunPodUnexpectedAnswerError extends RunPodRestError {
  constructor(operation: RunPodRestOperation, detail: string, options?: ErrorOptions) {
    super(operation, `RunPod ${operation} answered something that is not the REST API: ${detail}`, options);
  }
}

/** The address policy refused the API's URL (e.g. a private address under the public-only policy): nothing was sent. */
export class RunPodDestinationRefusedError extends RunPodRestError {
  constructor(operation: RunPodRestOperation, detail: string, options?: ErrorOptions) {
    super(operation, `RunPod ${operation} refused by the address policy: ${detail}`, options);
  }
}

const CAPACITY_WORDING = ['insufficient', 'no gpu', 'no capacity', 'unavailable', 'out of stock', 'resource exhausted', 'resources exhausted'];

/**
 * Statuses that never mean "no stock", whatever their wording: 402 is an insufficient *balance*
 * (no pool will do better), 422 a body that breaks the contract. RunPod reports exhausted capacity
 * as a 400 whose only sign is the human-readable detail (see the spec's createPod notes).
 */
const NOT_CAPACITY_STATUSES: ReadonlySet<number> = new Set([402, 404, 422]);

/** Whether RunPod refused a create for lack of GPUs, so another pool or a later try may succeed. */
export function isCapacityError(error: unknown): boolean {
  if (!(error instanceof RunPodApiError) || error instanceof RunPodAuthError || error instanceof RunPodRateLimitedError) return false;
  if (NOT_CAPACITY_STATUSES.has(error.status)) return false;
  const wording = [error.message, error.problem.detail, error.problem.title].join('\n').toLowerCase();
  return CAPACITY_WORDING.some((phrase) => wording.includes(phrase));
}
