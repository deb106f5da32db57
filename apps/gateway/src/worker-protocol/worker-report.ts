import { InvalidBodyError, InvalidJsonError } from '../http/api-errors';

/** What a worker's done post says: the job's output, its error (RunPod's error string), or a progress update. */
export type WorkerReport = { kind: 'output'; output: unknown } | { kind: 'error'; error: string } | { kind: 'progress'; value: unknown };

/**
 * A worker post's body as JSON: runpod-python sends the JSON text under a form content type, other
 * clients send JSON; both arrive here, the first as text.
 */
export function parseWorkerPost(body: unknown): Record<string, unknown> {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString());
    } catch {
      throw new InvalidJsonError('The body is not the JSON text of {output} or {error}');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidBodyError('The body must be a JSON object: {output} or {error}');
  return value as Record<string, unknown>;
}

/** A done post's report. A post with both an output and an error is a failure, as RunPod takes it (a handler's dict with `error`). */
export function workerReportOf(body: Record<string, unknown>): WorkerReport {
  if (body.status === 'IN_PROGRESS') return { kind: 'progress', value: body.output };
  if (body.error !== undefined && body.error !== null)
    return { kind: 'error', error: typeof body.error === 'string' ? body.error : JSON.stringify(body.error) };
  if (!('output' in body)) throw new InvalidBodyError('A done post carries {output} or {error}');
  return { kind: 'output', output: body.output };
}

/** A stream post's chunk. */
export function streamChunkOf(body: Record<string, unknown>): unknown {
  if (!('output' in body)) throw new InvalidBodyError('A stream post carries {output}');
  return body.output;
}
