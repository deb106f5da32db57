import { describeError, HandlerReportedError, isCapacityRefusal, WorkerOverloadedError, withoutServerPaths } from '../src/job-errors';

describe('job errors as RunPod reports them', () => {
  const root = '/srv/switchyard';

  it('leaves the traceback out by default, and the message without server paths', () => {
    const error = new Error("ENOENT: no such file or directory, open '/srv/switchyard/models/tiny/model.onnx'");
    expect(JSON.parse(describeError(error, { traceback: false, root }))).toEqual({
      error_type: 'Error',
      error_message: "ENOENT: no such file or directory, open 'models/tiny/model.onnx'",
    });
  });

  it('includes the frames when configured, with paths below the root, below node_modules, or as a file name', () => {
    const error = new TypeError('bad input');
    error.stack = [
      'TypeError: bad input',
      '    at EchoController.echo (/srv/switchyard/libs/worker/dist/echo.controller.js:20:19)',
      '    at Worker.callProcessJob (/opt/deps/node_modules/bullmq/dist/cjs/classes/worker.js:595:32)',
      '    at file:///usr/lib/node/internal/thing.mjs:1:2',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:104:5)',
    ].join('\n');
    const { error_traceback: traceback } = JSON.parse(describeError(error, { traceback: true, root }));
    expect(traceback.split('\n')).toEqual([
      'TypeError: bad input',
      '    at EchoController.echo (libs/worker/dist/echo.controller.js:20:19)',
      '    at Worker.callProcessJob (node_modules/bullmq/dist/cjs/classes/worker.js:595:32)',
      '    at thing.mjs:1:2',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:104:5)',
    ]);
  });

  it('keeps a handler’s own {error} as it is', () => {
    expect(describeError(new HandlerReportedError('Invalid input format'))).toBe('Invalid input format');
  });

  it('shortens every absolute path in a text', () => {
    expect(withoutServerPaths('/srv/switchyard/a.js and /home/me/b.txt', root)).toBe('a.js and b.txt');
  });

  it('tells capacity refusals by their marker, from any library', () => {
    expect(isCapacityRefusal(new WorkerOverloadedError('busy', 250))).toBe(true);
    expect(isCapacityRefusal(Object.assign(new Error('full'), { capacityRefusal: true, retryAfterMs: 10 }))).toBe(true);
    expect(isCapacityRefusal(new Error('full'))).toBe(false);
    expect(isCapacityRefusal({ capacityRefusal: true })).toBe(false);
  });
});
