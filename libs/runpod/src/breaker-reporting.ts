import type { CircuitBreaker, CircuitPermit } from '@switchyard/routing';
import { RemoteHttpError } from './errors';

/**
 * Tells the breaker what one call showed: an answer (any status but 429 and 5xx) shows the remote
 * is up; 429s, 5xx, no answer, garbage, redirects and refused destinations count as failures.
 */
export function reportCallOutcome(breaker: CircuitBreaker | undefined, permit: CircuitPermit | undefined, error?: unknown): void {
  if (!breaker || !permit) return;
  if (error === undefined) breaker.recordSuccess(permit);
  else if (error instanceof RemoteHttpError) breaker.recordHttpStatus(permit, error.status);
  else breaker.recordFailure(permit);
}
