import { ApiError } from '../src/http/api-errors';
import { parseWorkerPost, streamChunkOf, workerReportOf } from '../src/worker-protocol/worker-report';

describe("a RunPod worker's posts", () => {
  it('are read from JSON text, as runpod-python sends them under a form content type, or from parsed JSON', () => {
    expect(parseWorkerPost('{"output": {"echo": {}}}')).toEqual({ output: { echo: {} } });
    expect(parseWorkerPost(Buffer.from('{"error": "x"}'))).toEqual({ error: 'x' });
    expect(parseWorkerPost({ output: 1 })).toEqual({ output: 1 });
  });

  it('are refused (400) when they are not the JSON text of an object', () => {
    for (const body of ['not json', '[1, 2]', '"text"', 'null']) {
      expect(() => parseWorkerPost(body)).toThrow(ApiError);
      expect(() => parseWorkerPost(body)).toThrow(expect.objectContaining({ status: 400 }));
    }
  });

  it("tell an output, RunPod's error string and a progress update apart", () => {
    expect(workerReportOf({ output: { echo: {} }, stopPod: true })).toEqual({ kind: 'output', output: { echo: {} } });
    expect(workerReportOf({ output: null })).toEqual({ kind: 'output', output: null });
    expect(workerReportOf({ error: '{"error_message": "boom"}' })).toEqual({ kind: 'error', error: '{"error_message": "boom"}' });
    expect(workerReportOf({ status: 'IN_PROGRESS', output: { step: 2 } })).toEqual({ kind: 'progress', value: { step: 2 } });
  });

  it("count a handler's dict with an error as a failure, and name a non-string error in JSON", () => {
    expect(workerReportOf({ output: { partial: true }, error: 'bad input' })).toEqual({ kind: 'error', error: 'bad input' });
    expect(workerReportOf({ error: { code: 7 } })).toEqual({ kind: 'error', error: '{"code":7}' });
  });

  it('need an output or an error', () => {
    expect(() => workerReportOf({ stopPod: true })).toThrow(/\{output\} or \{error\}/);
    expect(() => streamChunkOf({})).toThrow(/\{output\}/);
    expect(streamChunkOf({ output: 'chunk' })).toBe('chunk');
  });
});
