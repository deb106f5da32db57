const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Standard Webhooks' schedule: the wait before each attempt, after the previous one failed. */
export const STANDARD_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];

export interface WebhookRetryScheduleOptions {
  /** Wait before each attempt, the first included. Default STANDARD_WEBHOOK_RETRY_DELAYS_MS. */
  delaysMs?: readonly number[];
  /** Multiplies every delay: 0.001 turns hours into seconds for tests. Default 1. */
  scale?: number;
  /**
   * Each delay is spread uniformly over ±jitter of itself, so that the retries after an outage
   * don't all arrive together. Default 0.1.
   */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export interface WebhookRetrySchedule {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Milliseconds to wait before attempt `attempt` (1-based), or undefined when there is no such attempt. */
  delayBeforeAttempt(attempt: number): number | undefined;
}

export function webhookRetrySchedule(options: WebhookRetryScheduleOptions = {}): WebhookRetrySchedule {
  const { delaysMs = STANDARD_WEBHOOK_RETRY_DELAYS_MS, scale = 1, jitter = 0.1, random = Math.random } = options;
  if (delaysMs.length === 0 || delaysMs.some((delay) => !Number.isFinite(delay) || delay < 0)) {
    throw new RangeError('Retry delays must be a non-empty list of non-negative numbers');
  }
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`Retry scale must be ≥ 0, got ${scale}`);
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`Retry jitter must be in [0, 1), got ${jitter}`);

  return {
    maxAttempts: delaysMs.length,
    delayBeforeAttempt(attempt: number): number | undefined {
      if (!Number.isInteger(attempt) || attempt < 1 || attempt > delaysMs.length) return undefined;
      const spread = 1 + jitter * (2 * random() - 1);
      return Math.round(delaysMs[attempt - 1] * scale * spread);
    },
  };
}
