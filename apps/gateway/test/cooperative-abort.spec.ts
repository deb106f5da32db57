import { Controller, Module } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { echoContract } from '@switchyard/shared';
import type { JobContext } from '@switchyard/worker';
import { eventually, startTestPlatform, startWorkerApp, type TestPlatform } from './support/platform';

/** When each job's handler started, saw its abort, and stopped (ms since the epoch). */
const timeline = new Map<string, { started: number; aborted?: number; cutOff?: number; stopped?: number }>();

const untilAbort = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

/**
 * Handlers that stop the way model handlers do: `cleanup` stops some time after its signal (a
 * denoising step, a tile finishing), `stubborn` ignores its signal and only ends when its model
 * run is cut off, `quick` returns at once.
 */
@Controller()
class StoppingController {
  @MessagePattern(echoContract.queue)
  async echo(@Payload() input: { mode: string; stopMs?: number }, @Ctx() context: JobContext) {
    const entry: { started: number; aborted?: number; cutOff?: number; stopped?: number } = { started: Date.now() };
    timeline.set(context.jobId, entry);
    try {
      if (input.mode === 'cleanup') {
        await untilAbort(context.signal);
        entry.aborted = Date.now();
        await new Promise((resolve) => setTimeout(resolve, input.stopMs));
      } else if (input.mode === 'stubborn') {
        void untilAbort(context.signal).then(() => (entry.aborted = Date.now()));
        await untilAbort(context.cutOff);
        entry.cutOff = Date.now();
      }
      return { echo: input };
    } finally {
      entry.stopped = Date.now();
    }
  }
}

@Module({ controllers: [StoppingController] })
class StoppingModule {}

describe('cancellation and timeouts on a one-job-at-a-time worker', () => {
  const GRACE_MS = 600;
  let platform: TestPlatform;
  let worker: INestMicroservice;

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    worker = await startWorkerApp(StoppingModule, [echoContract], platform.stores.prefix, { concurrency: 1, abortGraceMs: GRACE_MS });
  });

  afterAll(async () => {
    await worker.close();
    await platform.close();
  });

  const request = (method: string, path: string, body?: unknown) => platform.gateway.request(method, path, body);
  const inProgress = (id: string) => eventually(async () => (await request('GET', `/v2/echo/status/${id}`)).body.status === 'IN_PROGRESS');
  const stopped = (id: string) => eventually(async () => timeline.get(id)?.stopped);

  it('records a cancel at once, and starts the next job only once the cancelled handler has stopped', async () => {
    const first = await request('POST', '/v2/echo/run', { input: { mode: 'cleanup', stopMs: 300 } });
    await inProgress(first.body.id);
    const next = await request('POST', '/v2/echo/run', { input: { mode: 'quick' } });
    expect((await request('POST', `/v2/echo/cancel/${first.body.id}`)).body.status).toBe('CANCELLED');
    expect((await request('GET', `/v2/echo/status/${first.body.id}`)).body.status).toBe('CANCELLED');

    expect((await request('GET', `/v2/echo/status-sync/${next.body.id}?wait=10000`)).body.status).toBe('COMPLETED');
    const cancelled = timeline.get(first.body.id)!;
    expect(cancelled.stopped! - cancelled.aborted!).toBeGreaterThanOrEqual(290);
    expect(timeline.get(next.body.id)!.started).toBeGreaterThanOrEqual(cancelled.stopped!);
  });

  it('times a job out at its executionTimeout, and starts the next one only once the handler has stopped', async () => {
    const first = await request('POST', '/v2/echo/run', { input: { mode: 'cleanup', stopMs: 300 }, policy: { executionTimeout: 1_000 } });
    const next = await request('POST', '/v2/echo/run', { input: { mode: 'quick' } });
    const timedOut = await request('GET', `/v2/echo/status-sync/${first.body.id}?wait=10000`);
    expect(timedOut.body.status).toBe('TIMED_OUT');
    expect((await request('GET', `/v2/echo/status-sync/${next.body.id}?wait=10000`)).body.status).toBe('COMPLETED');
    expect(timeline.get(next.body.id)!.started).toBeGreaterThanOrEqual(timeline.get(first.body.id)!.stopped!);
  });

  it('cuts off a handler that ignores its signal once the grace period has passed', async () => {
    const first = await request('POST', '/v2/echo/run', { input: { mode: 'stubborn' } });
    await inProgress(first.body.id);
    const next = await request('POST', '/v2/echo/run', { input: { mode: 'quick' } });
    await request('POST', `/v2/echo/cancel/${first.body.id}`);
    await stopped(first.body.id);

    const stubborn = timeline.get(first.body.id)!;
    expect(stubborn.cutOff! - stubborn.aborted!).toBeGreaterThanOrEqual(GRACE_MS - 20);
    expect((await request('GET', `/v2/echo/status-sync/${next.body.id}?wait=10000`)).body.status).toBe('COMPLETED');
    expect(timeline.get(next.body.id)!.started).toBeGreaterThanOrEqual(stubborn.stopped!);
    expect((await request('GET', `/v2/echo/status/${first.body.id}`)).body.status).toBe('CANCELLED');
  });
});
