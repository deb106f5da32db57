import type { CircuitBreaker } from '@switchyard/routing';
import { reportCallOutcome } from './breaker-reporting';
import type { RunPodEndpointClient } from './runpod-endpoint-client';

/** The remote's capacity as its `/health` reported it. */
export interface RemoteCapacity {
  workers: { idle: number; running: number };
  jobs: { inQueue: number; inProgress: number };
}

/** The latest probe's outcome; assignable to routing's `RemoteObservation['health']`. */
export type RemoteHealth = { ok: true; capacity: RemoteCapacity; checkedAt: number } | { ok: false; detail: string; checkedAt: number };

export interface RemoteHealthProbeOptions {
  /** Time between probes. */
  intervalMs: number;
  /** Told each probe's outcome (a probe taken while half-open is the trial that closes or re-opens it). */
  breaker?: CircuitBreaker;
  now?: () => number;
}

/**
 * Probes a remote's `/health` every `intervalMs` (the first at `start`) and keeps the latest
 * outcome for the router. The timer is unref'd: it never keeps the process alive.
 */
export class RemoteHealthProbe {
  private latestHealth: RemoteHealth | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<RemoteHealth> | undefined;

  constructor(
    private readonly client: RunPodEndpointClient,
    private readonly options: RemoteHealthProbeOptions,
  ) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
  }

  /** `undefined` until the first probe has answered. */
  latest(): RemoteHealth | undefined {
    return this.latestHealth;
  }

  start(): void {
    if (this.timer) return;
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Probes now (joining a probe in flight rather than starting a second), and answers the outcome. */
  probe(): Promise<RemoteHealth> {
    this.inFlight ??= this.probeOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async probeOnce(): Promise<RemoteHealth> {
    const { breaker } = this.options;
    const now = this.options.now ?? Date.now;
    // A closed breaker admits everything; an open one refuses, yet the probe still runs (unreported) so that health stays current.
    const permit = breaker?.tryAcquire();
    try {
      const { workers, jobs } = await this.client.health();
      reportCallOutcome(breaker, permit);
      this.latestHealth = {
        ok: true,
        capacity: { workers: { idle: workers.idle, running: workers.running }, jobs: { inQueue: jobs.inQueue, inProgress: jobs.inProgress } },
        checkedAt: now(),
      };
    } catch (error) {
      reportCallOutcome(breaker, permit, error);
      this.latestHealth = { ok: false, detail: error instanceof Error ? error.message : String(error), checkedAt: now() };
    }
    return this.latestHealth;
  }
}
