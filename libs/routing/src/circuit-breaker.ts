export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures (429s included) that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before it lets one trial request through. */
  coolDownMs: number;
  /**
   * How long a half-open trial may go unreported before another trial is admitted, so a trial whose
   * outcome is lost (a crashed caller) cannot hold the circuit half-open for ever. Defaults to `coolDownMs`.
   */
  trialTimeoutMs?: number;
  now?: () => number;
}

/** Handed out by `tryAcquire`; its outcome is reported with `recordSuccess` or `recordFailure`. */
export interface CircuitPermit {
  /** Whether this request is the half-open trial whose outcome closes or re-opens the circuit. */
  readonly isTrial: boolean;
}

const ORDINARY_PERMIT: CircuitPermit = Object.freeze({ isTrial: false });

/**
 * Closed: everything passes; `failureThreshold` consecutive failures open it. Open: everything is
 * refused for `coolDownMs`. Half-open: exactly one trial passes; its success closes the circuit,
 * its failure re-opens it for another cool-down. Outcomes of requests admitted before the circuit
 * opened, and of superseded trials, are ignored while it is open or half-open: only the current trial decides.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly coolDownMs: number;
  private readonly trialTimeoutMs: number;
  private readonly now: () => number;
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trial: { permit: CircuitPermit; startedAt: number } | undefined;

  constructor(options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
    if (!(options.coolDownMs >= 0)) throw new RangeError('coolDownMs must not be negative');
    this.failureThreshold = options.failureThreshold;
    this.coolDownMs = options.coolDownMs;
    this.trialTimeoutMs = options.trialTimeoutMs ?? options.coolDownMs;
    this.now = options.now ?? Date.now;
  }

  state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.coolDownMs ? 'half-open' : 'open';
  }

  /** Whether `tryAcquire` would admit a request now; changes nothing. */
  canPass(): boolean {
    const state = this.state();
    return state === 'closed' || (state === 'half-open' && !this.trialInFlight());
  }

  /** Admits a request, or returns `undefined` when the circuit refuses it. */
  tryAcquire(): CircuitPermit | undefined {
    const state = this.state();
    if (state === 'closed') return ORDINARY_PERMIT;
    if (state === 'open' || this.trialInFlight()) return undefined;
    const permit: CircuitPermit = { isTrial: true };
    this.trial = { permit, startedAt: this.now() };
    return permit;
  }

  /** Milliseconds until the circuit will admit a trial; 0 unless open. */
  retryInMs(): number {
    if (this.state() !== 'open') return 0;
    return this.openedAt! + this.coolDownMs - this.now();
  }

  recordSuccess(permit: CircuitPermit): void {
    if (this.openedAt === undefined) {
      this.consecutiveFailures = 0;
    } else if (this.isCurrentTrial(permit)) {
      this.openedAt = undefined;
      this.trial = undefined;
      this.consecutiveFailures = 0;
    }
  }

  recordFailure(permit: CircuitPermit): void {
    if (this.openedAt === undefined) {
      this.consecutiveFailures += 1;
      if (this.consecutiveFailures >= this.failureThreshold) this.open();
    } else if (this.isCurrentTrial(permit)) {
      this.open();
    }
  }

  /** Reports a remote's HTTP answer: 429 (rate limited) and 5xx count as failures, anything else shows the remote is up. */
  recordHttpStatus(permit: CircuitPermit, status: number): void {
    if (status === 429 || status >= 500) this.recordFailure(permit);
    else this.recordSuccess(permit);
  }

  private open(): void {
    this.openedAt = this.now();
    this.trial = undefined;
  }

  private trialInFlight(): boolean {
    return this.trial !== undefined && this.now() - this.trial.startedAt < this.trialTimeoutMs;
  }

  /** A trial that timed out and reports late no longer decides; the trial admitted after it does. */
  private isCurrentTrial(permit: CircuitPermit): boolean {
    return this.trial?.permit === permit;
  }
}
