import { AddressPolicy } from '@switchyard/outbound';
import { CircuitBreaker } from '@switchyard/routing';
import {
  executeRemoteJob,
  RemoteHttpError,
  RemoteJobCancelledError,
  RemoteJobFailedError,
  RemoteJobNotAcceptedError,
  RemoteJobTimedOutError,
  RemoteLostError,
  RunPodEndpointClient,
  type RemoteExecutionHooks,
  type RemoteExecutionOptions,
  type RemoteJob,
} from '@switchyard/runpod';
import { FakeRunPod } from '@switchyard/testing';

const API_KEY = 'rpa_execution_test_key';
const ENDPOINT_ID = 'remote-echo';
const FAST: RemoteExecutionOptions = {
  pollIntervalMinMs: 5,
  pollIntervalMaxMs: 20,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  deadAfterMs: 80,
  cancelTimeoutMs: 200,
  random: () => 0,
};
const POLICY = { executionTimeout: 60_000, ttl: 600_000 };

interface RecordedHooks extends RemoteExecutionHooks {
  chunks: unknown[];
  progressValues: unknown[];
  savedIds: string[];
  /** /status requests the fake had received when the id was saved. */
  statusPollsBeforeSave: number[];
  abort(reason: unknown): void;
}

describe('executeRemoteJob', () => {
  let fake: FakeRunPod;
  let client: RunPodEndpointClient;

  beforeEach(async () => {
    fake = await FakeRunPod.start({ apiKey: API_KEY, endpointId: ENDPOINT_ID });
    client = clientFor(API_KEY);
  });

  afterEach(() => fake.stop());

  function clientFor(apiKey: string): RunPodEndpointClient {
    return new RunPodEndpointClient({
      baseUrl: fake.url,
      endpointId: ENDPOINT_ID,
      apiKey,
      addressPolicy: new AddressPolicy({ allowPrivate: true }),
      // Generous: a first call on a loaded machine can take a while, and no case here waits for a timeout.
      timeoutMs: 5_000,
    });
  }

  function recordingHooks(extra: Partial<RemoteExecutionHooks> = {}): RecordedHooks {
    const controller = new AbortController();
    const hooks: RecordedHooks = {
      signal: controller.signal,
      chunks: [],
      progressValues: [],
      savedIds: [],
      statusPollsBeforeSave: [],
      abort: (reason) => controller.abort(reason),
      progress: (value) => void hooks.progressValues.push(value),
      stream: (chunk) => void hooks.chunks.push(chunk),
      saveRemoteJobId: async (id) => {
        hooks.statusPollsBeforeSave.push(fake.requestsOf('status').length);
        await new Promise((resolve) => setTimeout(resolve, 5));
        hooks.savedIds.push(id);
      },
      ...extra,
    };
    return hooks;
  }

  function job(input: unknown = { text: 'hello' }, remoteJobId?: string): RemoteJob {
    return { input, policy: POLICY, remoteJobId };
  }

  async function rejectionOf(work: Promise<unknown>): Promise<Error> {
    try {
      await work;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the execution to fail');
  }

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  it('submits, saves the remote id before polling, mirrors changed progress and every chunk once in order, and resolves with the output', async () => {
    // The fake's scripts run on a clock stepped by the test, so that every phase is seen whatever the machine's speed.
    let time = 1000;
    fake.now = () => time;
    const chunks = Array.from({ length: 8 }, (_, index) => ({ afterMs: index * 10, output: `token-${index}` }));
    fake.behaviour = (input) => ({
      queueMs: 10,
      runMs: 100,
      progress: [
        { afterMs: 0, value: { percent: 10 } },
        { afterMs: 30, value: { percent: 10 } },
        { afterMs: 60, value: { percent: 50 } },
      ],
      chunks,
      end: { outcome: 'COMPLETED', output: { answer: input } },
    });
    const hooks = recordingHooks();

    const execution = executeRemoteJob(client, job(), hooks, FAST);
    await until(() => fake.requestsOf('status').length >= 2);
    expect(fake.requestsOf('stream')).toHaveLength(0);
    time = 1015; // started 5 ms ago: the first progress value and chunk
    await until(() => hooks.progressValues.length === 1 && hooks.chunks.length === 1);
    time = 1055; // the same progress value again, chunks 1 to 4
    await until(() => hooks.chunks.length === 5);
    time = 1075; // new progress, chunks 5 and 6
    await until(() => hooks.progressValues.length === 2 && hooks.chunks.length === 7);
    time = 1110; // completed: the last chunk comes with the final status
    const result = await execution;

    expect(result).toEqual({ remoteJobId: fake.jobIds()[0], output: { answer: { text: 'hello' } }, delayTime: 10, executionTime: 100 });
    expect(hooks.savedIds).toEqual([result.remoteJobId]);
    expect(hooks.statusPollsBeforeSave).toEqual([0]);
    expect(hooks.chunks).toEqual(chunks.map((chunk) => chunk.output));
    expect(hooks.progressValues).toEqual([{ percent: 10 }, { percent: 50 }]);
    expect(fake.requestsOf('run')).toHaveLength(1);
    expect(fake.requestsOf('run')[0].body).toEqual({ input: { text: 'hello' }, policy: POLICY });
  });

  it('drains the chunks the remote hands out with its final status before resolving', async () => {
    // Already COMPLETED at the first poll: its chunks come only from the /stream after the final status.
    fake.behaviour = () => ({
      runMs: 0,
      chunks: [
        { afterMs: 0, output: 'early' },
        { afterMs: 60_000, output: 'flushed at the end' },
      ],
    });
    const hooks = recordingHooks();

    await executeRemoteJob(client, job(), hooks, FAST);

    expect(hooks.chunks).toEqual(['early', 'flushed at the end']);
  });

  it('resumes a saved remote job by its id without submitting it again', async () => {
    fake.behaviour = () => ({ runMs: 40, chunks: [{ afterMs: 20, output: 'late chunk' }], end: { outcome: 'COMPLETED', output: 'done' } });
    const { id } = await client.run({ text: 'first run of ours' });
    const hooks = recordingHooks();

    const result = await executeRemoteJob(client, job({ text: 'ignored on resume' }, id), hooks, FAST);

    expect(result).toMatchObject({ remoteJobId: id, output: 'done' });
    expect(fake.requestsOf('run')).toHaveLength(1);
    expect(hooks.savedIds).toEqual([]);
    expect(hooks.chunks).toEqual(['late chunk']);
  });

  it('forwards our cancel to the remote and rejects with the signal reason', async () => {
    fake.behaviour = () => ({ end: { outcome: 'HANG' } });
    const hooks = recordingHooks();
    const reason = new Error('cancelled by the client');

    const execution = executeRemoteJob(client, job(), hooks, FAST);
    await until(() => fake.requestsOf('status').length >= 2);
    hooks.abort(reason);

    await expect(execution).rejects.toBe(reason);
    const [remoteJobId] = fake.jobIds();
    expect(fake.requestsOf('cancel', remoteJobId)).toHaveLength(1);
    expect(fake.statusOf(remoteJobId)).toBe('CANCELLED');
  });

  it('cancels the remote job when our signal aborts while its id is being saved', async () => {
    fake.behaviour = () => ({ end: { outcome: 'HANG' } });
    const hooks = recordingHooks({ saveRemoteJobId: () => hooks.abort(new Error('execution timeout')) });

    await expect(executeRemoteJob(client, job(), hooks, FAST)).rejects.toThrow('execution timeout');

    const [remoteJobId] = fake.jobIds();
    expect(fake.requestsOf('cancel', remoteJobId)).toHaveLength(1);
    expect(fake.requestsOf('status')).toHaveLength(0);
  });

  it('cancels the job that a submission still in flight creates, once our signal has aborted', async () => {
    fake.behaviour = () => ({ end: { outcome: 'HANG' } });
    fake.injectFault({ kind: 'slow', delayMs: 60 }, { times: 1, calls: ['run'] });
    const hooks = recordingHooks();
    const reason = new Error('cancelled while submitting');

    const execution = executeRemoteJob(client, job(), hooks, FAST);
    await until(() => fake.requestsOf('run').length === 1);
    hooks.abort(reason);

    await expect(execution).rejects.toBe(reason);
    await until(() => fake.requestsOf('cancel').length === 1);
    expect(fake.statusOf(fake.jobIds()[0])).toBe('CANCELLED');
    expect(hooks.savedIds).toEqual([]);
  });

  it('retries a submission refused with 429 and 503, backing off exponentially', async () => {
    fake.injectFault({ kind: 'http', status: 429, retryAfter: '0' }, { times: 1, calls: ['run'] });
    fake.injectFault({ kind: 'http', status: 503 }, { times: 1, calls: ['run'] });
    const breaker = new CircuitBreaker({ failureThreshold: 5, coolDownMs: 10_000 });

    const result = await executeRemoteJob(client, job(), recordingHooks({ breaker }), FAST);

    expect(result.output).toEqual({ echo: { text: 'hello' } });
    const attempts = fake.requestsOf('run');
    expect(attempts.map((request) => request.fault)).toEqual(['http', 'http', undefined]);
    // random() = 0 keeps half of the backoff: 10 ms, then 20 ms.
    expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeGreaterThanOrEqual(9);
    expect(attempts[2].receivedAt - attempts[1].receivedAt).toBeGreaterThanOrEqual(19);
    expect(breaker.state()).toBe('closed');
  });

  it('gives up after the bounded number of retries, saying the remote never accepted the job', async () => {
    fake.injectFault({ kind: 'http', status: 500 }, { calls: ['run'] });

    const error = await rejectionOf(executeRemoteJob(client, job(), recordingHooks(), { ...FAST, submitRetries: 2 }));

    expect(error).toBeInstanceOf(RemoteJobNotAcceptedError);
    expect(error).toMatchObject({ reason: 'retries-exhausted', attempts: 3 });
    expect((error.cause as RemoteHttpError).status).toBe(500);
    expect(fake.requestsOf('run')).toHaveLength(3);
  });

  it('gives up at once when Retry-After asks for longer than it is willing to wait', async () => {
    fake.injectFault({ kind: 'http', status: 429, retryAfter: '30' }, { calls: ['run'] });

    const error = await rejectionOf(executeRemoteJob(client, job(), recordingHooks(), FAST));

    expect(error).toMatchObject({ reason: 'retries-exhausted', attempts: 1 });
    expect(fake.requestsOf('run')).toHaveLength(1);
  });

  it('stops retrying when the circuit breaker opens', async () => {
    fake.injectFault({ kind: 'http', status: 503 }, { calls: ['run'] });
    const breaker = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 60_000 });

    const error = await rejectionOf(executeRemoteJob(client, job(), recordingHooks({ breaker }), { ...FAST, submitRetries: 10 }));

    expect(error).toBeInstanceOf(RemoteJobNotAcceptedError);
    expect(error).toMatchObject({ reason: 'circuit-open', attempts: 2 });
    expect(error.message).toMatch(/never accepted the job/);
    expect(fake.requestsOf('run')).toHaveLength(2);
    expect(breaker.state()).toBe('open');
  });

  it('does not retry a submission the remote refuses for good (401)', async () => {
    const error = await rejectionOf(executeRemoteJob(clientFor('rpa_wrong_key'), job(), recordingHooks(), FAST));

    expect(error).toMatchObject({ reason: 'refused', attempts: 1 });
    expect((error.cause as RemoteHttpError).status).toBe(401);
    expect(fake.requestsOf('run')).toHaveLength(1);
  });

  it('rides out polls failing for less than deadAfterMs', async () => {
    fake.behaviour = () => ({ runMs: 30, end: { outcome: 'COMPLETED', output: 'survived' } });
    fake.injectFault({ kind: 'http', status: 502 }, { times: 3, calls: ['status'] });

    const result = await executeRemoteJob(client, job(), recordingHooks(), { ...FAST, deadAfterMs: 5000 });

    expect(result.output).toBe('survived');
  });

  it('reports a remote that dies mid-job after it streamed as lost, started and streamed', async () => {
    fake.behaviour = () => ({ chunks: [{ afterMs: 0, output: 'first' }], end: { outcome: 'HANG' } });
    const hooks = recordingHooks();

    const execution = rejectionOf(executeRemoteJob(client, job(), hooks, FAST));
    await until(() => hooks.chunks.length === 1);
    await fake.goDown();
    const error = await execution;

    expect(error).toBeInstanceOf(RemoteLostError);
    expect(error).toMatchObject({ reason: 'unreachable', started: true, streamed: true, remoteJobId: fake.jobIds()[0] });
  });

  it('reports a remote that dies before starting the job as lost, neither started nor streamed', async () => {
    fake.behaviour = () => ({ queueMs: 60_000 });
    const execution = rejectionOf(executeRemoteJob(client, job(), recordingHooks(), FAST));
    await until(() => fake.requestsOf('status').length >= 1);
    await fake.goDown();

    const error = await execution;

    expect(error).toMatchObject({ reason: 'unreachable', started: false, streamed: false });
  });

  it('reports a remote job that vanished (404) as lost', async () => {
    fake.behaviour = () => ({ end: { outcome: 'HANG' } });
    const execution = rejectionOf(executeRemoteJob(client, job(), recordingHooks(), FAST));
    await until(() => fake.requestsOf('status').length >= 1);
    fake.forgetJob(fake.jobIds()[0]);

    const error = await execution;

    expect(error).toBeInstanceOf(RemoteLostError);
    expect(error).toMatchObject({ reason: 'vanished', started: true, streamed: false });
  });

  it('reports a remote that answers garbage while followed as lost, and cancels the job there', async () => {
    fake.behaviour = () => ({ end: { outcome: 'HANG' } });
    const execution = rejectionOf(executeRemoteJob(client, job(), recordingHooks(), FAST));
    await until(() => fake.requestsOf('status').length >= 1);
    fake.injectFault({ kind: 'garbage' }, { calls: ['status'] });

    const error = await execution;

    expect(error).toMatchObject({ reason: 'unreadable' });
    expect(fake.requestsOf('cancel', fake.jobIds()[0])).toHaveLength(1);
  });

  it('turns a remote FAILED into RemoteJobFailedError carrying the remote error', async () => {
    const remoteError = { error_type: 'ValueError', error_message: 'bad input', error_traceback: '…' };
    fake.behaviour = () => ({ runMs: 10, end: { outcome: 'FAILED', error: remoteError } });

    const error = await rejectionOf(executeRemoteJob(client, job(), recordingHooks(), FAST));

    expect(error).toBeInstanceOf(RemoteJobFailedError);
    expect((error as RemoteJobFailedError).remoteError).toEqual(remoteError);
    expect(error.message).toContain('bad input');
  });

  it('turns a remote FAILED with a string error into RemoteJobFailedError with that string', async () => {
    fake.behaviour = () => ({ end: { outcome: 'FAILED', error: 'model exploded' } });

    const error = await rejectionOf(executeRemoteJob(client, job(), recordingHooks(), FAST));

    expect(error).toMatchObject({ remoteError: 'model exploded' });
  });

  it('turns a remote TIMED_OUT and a cancel at the remote into their typed errors', async () => {
    fake.behaviour = (input) => ({ runMs: 10, end: { outcome: (input as { end: 'TIMED_OUT' | 'CANCELLED' }).end } });

    const timedOut = await rejectionOf(executeRemoteJob(client, job({ end: 'TIMED_OUT' }), recordingHooks(), FAST));
    const cancelled = await rejectionOf(executeRemoteJob(client, job({ end: 'CANCELLED' }), recordingHooks(), FAST));

    expect(timedOut).toBeInstanceOf(RemoteJobTimedOutError);
    expect(cancelled).toBeInstanceOf(RemoteJobCancelledError);
    expect(fake.requestsOf('cancel')).toHaveLength(0);
  });
});
