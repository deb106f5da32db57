/** The job ran past its policy's executionTimeout. */
export class ExecutionTimeoutError extends Error {
  override readonly name = 'ExecutionTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`Job exceeded its execution timeout of ${timeoutMs} ms`);
  }
}

/** The job was cancelled through the API while it ran. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor() {
    super('Job was cancelled');
  }
}

/** The handler returned `{error: …}`, which RunPod treats as a failed job. */
export class HandlerReportedError extends Error {
  override readonly name = 'HandlerReportedError';
  constructor(readonly reported: unknown) {
    super(typeof reported === 'string' ? reported : JSON.stringify(reported));
  }
}

/** RunPod's error string for a thrown exception: JSON of {error_type, error_message, error_traceback}. */
export function describeError(error: unknown): string {
  if (error instanceof HandlerReportedError) return error.message;
  const err = error instanceof Error ? error : new Error(String(error));
  return JSON.stringify({ error_type: err.name, error_message: err.message, error_traceback: err.stack ?? '' });
}
