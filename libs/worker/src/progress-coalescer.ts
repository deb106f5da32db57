/**
 * Lets at most one value through per interval. A value offered when none went through in the last
 * interval is written at once; later ones replace a pending value, written when the interval ends.
 * A handler can report progress as often as it likes, and the event stream and Postgres see a few
 * values a second, the latest among them.
 */
export class ProgressCoalescer<T> {
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private pending?: { value: T };
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (value: T) => Promise<void>,
    /** Hears the failure of a deferred write, which has no caller left to throw to. */
    private readonly onDeferredError: (error: unknown) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves once the value is written, or at once when it is left pending (or dropped, once closed). */
  offer(value: T): Promise<void> {
    if (this.closed) return Promise.resolve();
    const now = this.now();
    if (!this.timer && now - this.lastWriteAt >= this.intervalMs) {
      this.lastWriteAt = now;
      return this.write(value);
    }
    this.pending = { value };
    // unref: a pending progress value never keeps a worker process alive.
    this.timer ??= setTimeout(() => this.flush(), Math.max(this.lastWriteAt + this.intervalMs - now, 0)).unref();
    return Promise.resolve();
  }

  /** Drops the pending value and its timer; later offers are ignored. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || this.closed) return;
    this.lastWriteAt = this.now();
    this.write(pending.value).catch(this.onDeferredError);
  }
}
