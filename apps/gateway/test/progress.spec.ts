import { randomUUID } from 'node:crypto';
import { JobWaiter } from '../src/jobs/job-waiter';
import { eventually, startTestPlatform, type TestPlatform } from './support/platform';
import { openEventStream, readUntilClosed, serverSentEvents, type ServerSentEvent } from './support/server-sent-events';

const outputs = (events: ServerSentEvent[], type: string) => events.filter((event) => event.event === type).map((event) => event.data.output);

describe('progress you can read', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform();
  });

  afterAll(async () => {
    await platform.close();
  });

  const progressRows = (jobId: string) => platform.gateway.database.prisma.jobEvent.count({ where: { jobId, type: 'progress' } });
  const steps = Array.from({ length: 100 }, (_, i) => ({ step: i + 1 }));

  it('answers the latest progress as the output of a running job, coalesced to a few events', async () => {
    const { gateway } = platform;
    const run = await gateway.request('POST', '/v2/echo/run', { input: { progress: steps, sleep_ms: 60_000 } });

    const running = await eventually(async () => {
      const status = await gateway.request('GET', `/v2/echo/status/${run.body.id}`);
      return status.body.status === 'IN_PROGRESS' && status.body.output?.step === 100 && status.body;
    });
    expect(running).toEqual({ id: run.body.id, status: 'IN_PROGRESS', delayTime: expect.any(Number), workerId: expect.any(String), output: { step: 100 } });

    await gateway.request('POST', `/v2/echo/cancel/${run.body.id}`);
    const cancelled = await gateway.request('GET', `/v2/echo/status/${run.body.id}`);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(cancelled.body).not.toHaveProperty('output');
    // The first value went through at once and the last when its interval ended: not 100 events.
    const rows = await eventually(async () => (await progressRows(run.body.id)) >= 2 && progressRows(run.body.id));
    expect(rows).toBeLessThanOrEqual(3);
  });

  it('answers the output once the job completes, whatever progress it reported', async () => {
    const done = await platform.gateway.request('POST', '/v2/echo/runsync?wait=20000', { input: { progress: steps } });
    expect(done.body).toMatchObject({ status: 'COMPLETED', output: { echo: { progress: steps } } });
    await eventually(async () => (await platform.gateway.database.prisma.job.findUnique({ where: { id: done.body.id } }))?.status === 'COMPLETED');
    const rows = await progressRows(done.body.id);
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(rows).toBeLessThanOrEqual(3);
  });

  it('streams progress, chunks and the final status of a streaming echo job as Server-Sent Events, then closes', async () => {
    const run = await platform.gateway.request('POST', '/v2/echo/run', { input: { progress: ['loading', 'ready'], stream: ['a', 'b', 'c'], sleep_ms: 900 } });
    const response = await openEventStream(platform, `/v2/echo/stream/${run.body.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const events = await readUntilClosed(response);
    expect(outputs(events, 'chunk')).toEqual(['a', 'b', 'c']);
    expect(outputs(events, 'progress')).toContain('loading');
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { id: run.body.id, status: 'COMPLETED', output: { echo: { stream: ['a', 'b', 'c'] } } } });
    expect(events.filter((event) => event.event === 'status' && event.data.status === 'COMPLETED')).toHaveLength(1);
    const ids = events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('sends chunks and outputs held as blobs (over the claim-check threshold) in full over SSE, live and replayed', async () => {
    const large = 'x'.repeat(300_000);
    const run = await platform.gateway.request('POST', '/v2/echo/run', { input: { stream: [large, 'small'], sleep_ms: 600 } });
    const live = await readUntilClosed(await openEventStream(platform, `/v2/echo/stream/${run.body.id}`));
    expect(outputs(live, 'chunk')).toEqual([large, 'small']);
    expect(live.at(-1)).toMatchObject({ event: 'status', data: { status: 'COMPLETED', output: { echo: { stream: [large, 'small'] } } } });

    const replayed = await readUntilClosed(await openEventStream(platform, `/v2/echo/stream/${run.body.id}`));
    expect(outputs(replayed, 'chunk')).toEqual([large, 'small']);
    expect(replayed.at(-1)!.data.output.echo.stream[0]).toHaveLength(large.length);
  });

  it('answers a job that already ended with what it produced and its final status at once, leaving the JSON stream its chunks', async () => {
    const { gateway } = platform;
    const done = await gateway.request('POST', '/v2/echo/runsync?wait=20000', { input: { stream: ['x', 'y'] } });
    expect(done.body.status).toBe('COMPLETED');

    const events = await readUntilClosed(await openEventStream(platform, `/v2/echo/stream/${done.body.id}`));
    expect(events.map((event) => event.event)).toEqual(['chunk', 'chunk', 'status']);
    expect(outputs(events, 'chunk')).toEqual(['x', 'y']);
    expect(events[2].data).toMatchObject({ id: done.body.id, status: 'COMPLETED' });

    // A client coming back after the first chunk gets only what followed it.
    const resumed = await readUntilClosed(await openEventStream(platform, `/v2/echo/stream/${done.body.id}`, { 'last-event-id': events[0].id! }));
    expect(resumed.map((event) => event.event)).toEqual(['chunk', 'status']);
    expect(resumed[0].data.output).toBe('y');

    // The event stream reads chunks without taking them: the JSON view still has them.
    const json = await gateway.request('GET', `/v2/echo/stream/${done.body.id}`);
    expect(json.body).toEqual({ status: 'COMPLETED', stream: [{ output: 'x' }, { output: 'y' }] });
  });

  it('leaves no follower behind when the client goes away', async () => {
    const { gateway } = platform;
    const waiter = gateway.app.get(JobWaiter);
    const run = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 60_000 } });
    const client = new AbortController();
    const response = await openEventStream(platform, `/v2/echo/stream/${run.body.id}`, {}, client.signal);
    const first = await serverSentEvents(response).next();
    expect(first.value).toMatchObject({ event: 'status', data: { id: run.body.id } });
    expect(waiter.followerCount).toBe(1);

    client.abort();
    await eventually(async () => waiter.followerCount === 0);
    await gateway.request('POST', `/v2/echo/cancel/${run.body.id}`);
  });

  it('answers 404 as JSON for unknown jobs and endpoints', async () => {
    const unknownJob = await openEventStream(platform, `/v2/echo/stream/${randomUUID()}`);
    expect(unknownJob.status).toBe(404);
    expect(await unknownJob.json()).toMatchObject({ code: 'not_found', field: 'id' });

    const unknownEndpoint = await openEventStream(platform, `/v2/nope/stream/${randomUUID()}`);
    expect(unknownEndpoint.status).toBe(404);
    expect(platform.gateway.app.get(JobWaiter).followerCount).toBe(0);
  });
});
