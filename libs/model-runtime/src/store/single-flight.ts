interface Flight<T, Event> {
  promise: Promise<T>;
  controller: AbortController;
  listeners: Set<(event: Event) => void>;
  waiters: number;
}

export interface JoinOptions<Event> {
  signal?: AbortSignal;
  onEvent?: (event: Event) => void;
}

/**
 * Shares one run of a task among concurrent callers with the same key. Every caller receives the
 * task's events and its outcome. A caller whose signal fires stops waiting alone; the task itself
 * is aborted only when no caller is left waiting for it.
 */
export class SingleFlight<T, Event> {
  private readonly flights = new Map<string, Flight<T, Event>>();

  run(key: string, task: (signal: AbortSignal, emit: (event: Event) => void) => Promise<T>, { signal, onEvent }: JoinOptions<Event> = {}): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const flight = this.flights.get(key) ?? this.start(key, task);
    flight.waiters += 1;
    if (onEvent) flight.listeners.add(onEvent);

    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        if (onEvent) flight.listeners.delete(onEvent);
        signal?.removeEventListener('abort', onAbort);
        flight.waiters -= 1;
      };
      const onAbort = () => {
        leave();
        if (flight.waiters === 0) this.abandon(key, flight, signal?.reason);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  private start(key: string, task: (signal: AbortSignal, emit: (event: Event) => void) => Promise<T>): Flight<T, Event> {
    const controller = new AbortController();
    const listeners = new Set<(event: Event) => void>();
    const emit = (event: Event) => {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // One caller's failing listener must not fail the run that other callers share.
        }
      }
    };
    const flight: Flight<T, Event> = {
      promise: Promise.resolve().then(() => task(controller.signal, emit)),
      controller,
      listeners,
      waiters: 0,
    };
    this.flights.set(key, flight);
    const forget = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    // Also keeps an abandoned flight's rejection from going unhandled.
    flight.promise.then(forget, forget);
    return flight;
  }

  private abandon(key: string, flight: Flight<T, Event>, reason: unknown): void {
    // A caller arriving from now on must start afresh, not join a run that is being aborted.
    if (this.flights.get(key) === flight) this.flights.delete(key);
    flight.controller.abort(reason);
  }
}
