import { AddressPolicy } from '@switchyard/outbound';
import { AVAILABLE, CircuitBreaker, remoteAvailability, type RemoteBackendConfig, type RemoteObservation } from '@switchyard/routing';
import { RemoteHealthProbe, RunPodEndpointClient } from '@switchyard/runpod';
import { FakeRunPod } from '@switchyard/testing';

const API_KEY = 'rpa_probe_test_key';
const ENDPOINT_ID = 'probed';

describe('RemoteHealthProbe', () => {
  let fake: FakeRunPod;
  let client: RunPodEndpointClient;
  let probe: RemoteHealthProbe | undefined;

  beforeEach(async () => {
    fake = await FakeRunPod.start({ apiKey: API_KEY, endpointId: ENDPOINT_ID, workers: { idle: 1, running: 2 } });
    client = new RunPodEndpointClient({
      baseUrl: fake.url,
      endpointId: ENDPOINT_ID,
      apiKey: API_KEY,
      addressPolicy: new AddressPolicy({ allowPrivate: true }),
      timeoutMs: 5_000,
    });
  });

  afterEach(async () => {
    probe?.stop();
    await fake.stop();
  });

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  it('probes once at start and keeps the capacity the remote reports, in the shape the router reads', async () => {
    fake.behaviour = () => ({ queueMs: 60_000 });
    await client.run({});
    probe = new RemoteHealthProbe(client, { intervalMs: 60_000 });
    expect(probe.latest()).toBeUndefined();

    probe.start();
    await until(() => probe!.latest() !== undefined);

    expect(probe.latest()).toMatchObject({ ok: true, capacity: { workers: { idle: 1, running: 2 }, jobs: { inQueue: 1, inProgress: 0 } } });
    const config: RemoteBackendConfig = { baseUrl: fake.url, endpointId: ENDPOINT_ID, apiKeyEnv: 'KEY', timeoutMs: 200, maxConcurrency: 2 };
    const observed: RemoteObservation = { health: probe.latest(), breaker: new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1000 }), inFlight: 0 };
    expect(remoteAvailability(config, observed)).toEqual(AVAILABLE);
    expect(fake.requestsOf('health')).toHaveLength(1);
  });

  it('probes every interval until stopped', async () => {
    probe = new RemoteHealthProbe(client, { intervalMs: 10 });

    probe.start();
    await until(() => fake.requestsOf('health').length >= 3);
    probe.stop();
    const probes = fake.requestsOf('health').length;
    await new Promise((resolve) => setTimeout(resolve, 40));

    expect(fake.requestsOf('health').length).toBeLessThanOrEqual(probes + 1);
  });

  it('reports a failing remote as unhealthy with the reason, and opens the breaker', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 60_000 });
    probe = new RemoteHealthProbe(client, { intervalMs: 60_000, breaker });
    fake.injectFault({ kind: 'http', status: 503 }, { times: 1 });

    const first = await probe.probe();
    await fake.goDown();
    const second = await probe.probe();

    expect(first).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 503/) });
    expect(second).toMatchObject({ ok: false, detail: expect.stringMatching(/unreachable/) });
    expect(breaker.state()).toBe('open');
    const observed: RemoteObservation = { health: probe.latest(), breaker, inFlight: 0 };
    expect(remoteAvailability({ baseUrl: fake.url, endpointId: ENDPOINT_ID, apiKeyEnv: 'KEY', timeoutMs: 200, maxConcurrency: 2 }, observed)).toMatchObject({
      available: false,
      reason: { kind: 'unhealthy' },
    });
  });

  it('closes a half-open breaker when the remote answers again', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 0 });
    probe = new RemoteHealthProbe(client, { intervalMs: 60_000, breaker });
    fake.injectFault({ kind: 'garbage' }, { times: 1 });

    await probe.probe();
    expect(breaker.state()).toBe('half-open');
    const recovered = await probe.probe();

    expect(recovered.ok).toBe(true);
    expect(breaker.state()).toBe('closed');
  });
});
