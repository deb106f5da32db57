import type { BackendName } from './backend-name';
import { formatBytes, formatSeconds } from './human-units';
import type { ModelSize } from './model-size';

/** Why a backend cannot take a request right now. */
export type RefusalReason =
  | { kind: 'not-configured' }
  | { kind: 'no-live-workers' }
  | { kind: 'model-not-loaded' }
  | { kind: 'estimated-wait'; waitMs: number; limitMs: number }
  | { kind: 'too-large-for-local'; size: ModelSize; max: ModelSize }
  | { kind: 'circuit-open'; retryInMs: number }
  | { kind: 'unhealthy'; detail: string }
  | { kind: 'at-concurrency-limit'; inFlight: number; limit: number }
  | { kind: 'client-disabled' }
  | { kind: 'browser-only' }
  | { kind: 'too-large-for-client'; bytes: number; max: number };

export type BackendAvailability = { available: true } | { available: false; reason: RefusalReason };

/** The facts the router decides on, per backend. A backend without facts is treated as not configured. */
export type AvailabilityFacts = Readonly<Partial<Record<BackendName, BackendAvailability>>>;

export const AVAILABLE: BackendAvailability = Object.freeze({ available: true });

export function refused(reason: RefusalReason): BackendAvailability {
  return { available: false, reason };
}

/** The human text of a refusal, as it appears in notes, job records and errors. */
export function describeRefusal(reason: RefusalReason): string {
  switch (reason.kind) {
    case 'not-configured':
      return 'not configured';
    case 'no-live-workers':
      return 'no live workers';
    case 'model-not-loaded':
      return 'model not loaded';
    case 'estimated-wait':
      return `estimated wait ${formatSeconds(reason.waitMs)} over the ${formatSeconds(reason.limitMs)} limit`;
    case 'too-large-for-local':
      return `model size ${reason.size} over the local limit ${reason.max}`;
    case 'circuit-open':
      return 'circuit open';
    case 'unhealthy':
      return `unhealthy: ${reason.detail}`;
    case 'at-concurrency-limit':
      return `at the concurrency limit (${reason.inFlight} of ${reason.limit} in flight)`;
    case 'client-disabled':
      return 'client inference disabled';
    case 'browser-only':
      return 'runs in the browser, so only /text-detector/predict can answer with it';
    case 'too-large-for-client':
      return `model files ${formatBytes(reason.bytes)} over the client limit ${formatBytes(reason.max)}`;
  }
}

export interface QueueLoad {
  /** Jobs waiting or running in the local queue. */
  queuedJobs: number;
  /** Mean execution time of the model's recent jobs. */
  meanExecutionMs: number;
  /** Jobs the live workers can run at once. */
  liveSlots: number;
}

/**
 * How long a new job would wait locally: queuedJobs × meanExecutionMs ÷ liveSlots, i.e. the queued
 * work spread evenly over the slots that can run it. Infinity when no slot is live, since nothing
 * would ever run it; zero for an empty queue.
 */
export function estimatedWaitMs({ queuedJobs, meanExecutionMs, liveSlots }: QueueLoad): number {
  if (liveSlots <= 0) return Infinity;
  if (queuedJobs <= 0) return 0;
  return (queuedJobs * meanExecutionMs) / liveSlots;
}
