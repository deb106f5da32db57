/**
 * Settles with `work`, or rejects as soon as `signal` aborts, with `abortError()` (by default the
 * signal's reason). Only the wait is given up: the work itself is not stopped.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, abortError: () => unknown = () => signal.reason): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
