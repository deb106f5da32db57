import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@switchyard/shared';
import { RunPodProtocolError, RunPodThrottledError, RunPodWorkerProtocol, runPodEnvironmentSchema } from '../src/runpod/runpod-worker-protocol';

const WORKER_KEY = 'rp-key-secret';
const logger = createLogger('runpod-protocol-test', 'fatal');

interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

type Answer = (response: ServerResponse) => void;
const status =
  (code: number, body?: unknown): Answer =>
  (response) => {
    response.writeHead(code, body === undefined ? {} : { 'Content-Type': 'application/json' });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  };
const never: Answer = () => undefined;

/** A server answering its requests from a script, in order (the last answer repeats), recording them. */
async function scriptedServer(...answers: Answer[]): Promise<{ origin: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({
        method: request.method!,
        url: request.url!,
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body,
      });
      answers[Math.min(seen.length - 1, answers.length - 1)]!(response);
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    close: () =>
      new Promise((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}

function protocolFor(origin: string, options: { longPollTimeoutMs?: number } = {}): RunPodWorkerProtocol {
  const environment = runPodEnvironmentSchema.parse({
    RUNPOD_WEBHOOK_GET_JOB: `${origin}/v2/ep/job-take/$ID?gpu=A100`,
    RUNPOD_WEBHOOK_POST_OUTPUT: `${origin}/v2/ep/job-done/$RUNPOD_POD_ID/$ID?gpu=A100`,
    RUNPOD_WEBHOOK_POST_STREAM: `${origin}/v2/ep/job-stream/$RUNPOD_POD_ID/$ID?gpu=A100`,
    RUNPOD_WEBHOOK_PING: `${origin}/v2/ep/ping/$RUNPOD_POD_ID?gpu=A100`,
    RUNPOD_PING_INTERVAL: '1000',
    RUNPOD_AI_API_KEY: WORKER_KEY,
    RUNPOD_POD_ID: 'pod-1',
    RUNPOD_ENDPOINT_ID: 'ep',
  });
  return new RunPodWorkerProtocol(environment, { logger, retryDelaysMs: [5, 5], ...options });
}

describe('RunPodWorkerProtocol', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>> | undefined;
  afterEach(() => server?.close());

  it('takes one job from the take URL with job_in_progress, sending the key raw, and reads its policy’s timeout', async () => {
    server = await scriptedServer(status(200, { id: 'j1', input: { a: 1 }, policy: { executionTimeout: 5000 } }));

    const jobs = await protocolFor(server.origin).take(1, true);

    expect(jobs).toEqual([{ id: 'j1', input: { a: 1 }, executionTimeoutMs: 5000 }]);
    expect(server.seen).toEqual([
      expect.objectContaining({ method: 'GET', url: '/v2/ep/job-take/pod-1?gpu=A100&job_in_progress=1', authorization: WORKER_KEY }),
    ]);
  });

  it('takes several jobs from the batch URL, dropping entries without an id or input', async () => {
    server = await scriptedServer(status(200, [{ id: 'j1', input: {} }, { id: 'j2' }, { input: {} }, { id: 'j3', input: 'text' }]));

    const jobs = await protocolFor(server.origin).take(3, false);

    expect(jobs).toEqual([
      { id: 'j1', input: {} },
      { id: 'j3', input: 'text' },
    ]);
    expect(server.seen[0]!.url).toBe('/v2/ep/job-take-batch/pod-1?gpu=A100&batch_size=3&job_in_progress=0');
  });

  it('reads 204 and 400 (FlashBoot) as no job, and refuses 429 and other statuses', async () => {
    server = await scriptedServer(status(204), status(400), status(429), status(502));
    const protocol = protocolFor(server.origin);

    expect(await protocol.take(1, false)).toEqual([]);
    expect(await protocol.take(1, false)).toEqual([]);
    await expect(protocol.take(1, false)).rejects.toBeInstanceOf(RunPodThrottledError);
    await expect(protocol.take(1, false)).rejects.toMatchObject({ name: 'RunPodProtocolError', status: 502 });
  });

  it('posts a result as form-typed JSON text, trying three times through server errors', async () => {
    server = await scriptedServer(status(503), status(500), status(200));

    await protocolFor(server.origin).postResult('j1', { output: { ok: true } }, true);

    expect(server.seen).toHaveLength(3);
    for (const request of server.seen) {
      expect(request).toEqual({
        method: 'POST',
        url: '/v2/ep/job-done/pod-1/j1?gpu=A100&isStream=true',
        authorization: WORKER_KEY,
        contentType: 'application/x-www-form-urlencoded',
        body: '{"output":{"ok":true}}',
      });
    }
  });

  it('drops a result the platform refuses without trying again, and fails a chunk that three attempts could not post', async () => {
    server = await scriptedServer(status(400), status(503));
    const protocol = protocolFor(server.origin);

    await protocol.postResult('j1', { error: 'boom' });
    const posted = protocol.appendChunk('j1', 'chunk');

    await expect(posted).rejects.toBeInstanceOf(RunPodProtocolError);
    expect(server.seen.map((request) => request.url)).toEqual([
      '/v2/ep/job-done/pod-1/j1?gpu=A100&isStream=false',
      ...Array<string>(3).fill('/v2/ep/job-stream/pod-1/j1?gpu=A100&isStream=false'),
    ]);
    expect(server.seen[1]!.body).toBe('{"output":"chunk"}');
  });

  it('sends progress to the done URL as an IN_PROGRESS update', async () => {
    server = await scriptedServer(status(200));

    await protocolFor(server.origin).progress('j1', { step: 2 });

    expect(server.seen[0]).toMatchObject({ url: '/v2/ep/job-done/pod-1/j1?gpu=A100&isStream=false', body: '{"status":"IN_PROGRESS","output":{"step":2}}' });
  });

  it('pings with the jobs in progress as runpod-python does, leaving job_id out when there are none', async () => {
    server = await scriptedServer(status(200));
    const protocol = protocolFor(server.origin);

    await protocol.ping(['a', 'b']);
    await protocol.ping([]);

    expect(server.seen.map((request) => request.url)).toEqual([
      '/v2/ep/ping/pod-1?gpu=A100&job_id=a%2Cb&runpod_version=switchyard',
      '/v2/ep/ping/pod-1?gpu=A100&runpod_version=switchyard',
    ]);
  });

  it('reads job-stop’s jobs, and a platform without it as nothing to ask', async () => {
    server = await scriptedServer(status(200, { jobsToStop: ['j1', 7] }), status(204), status(404));
    const protocol = protocolFor(server.origin);

    expect(await protocol.jobsToStop()).toEqual(['j1']);
    expect(await protocol.jobsToStop()).toEqual([]);
    expect(await protocol.jobsToStop()).toBeUndefined();
    expect(server.seen[0]!.url).toBe('/v2/ep/job-stop/pod-1?gpu=A100');
  });

  it('gives up on a call past its time limit, with an error that names no secret', async () => {
    server = await scriptedServer(never);

    const error = (await protocolFor(server.origin, { longPollTimeoutMs: 100 })
      .take(1, false)
      .catch((failure: unknown) => failure)) as Error;

    expect(error).toBeInstanceOf(RunPodProtocolError);
    expect(error.message).toMatch(/timed out after 100 ms/);
    expect(`${error.message} ${error.stack}`).not.toContain(WORKER_KEY);
  });
});
