import { ConfigError } from '@switchyard/shared';
import { loadGatewayConfig } from '../src/config';
import { gatewayEndpoints } from '../src/infra/gateway-endpoints';

describe('gateway configuration', () => {
  it('runs on defaults: port 8080, local Redis, the embedded database', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({ PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: 'sy', RATE_LIMITS_ENABLED: true });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('refuses bad values at start-up, naming every variable at fault', () => {
    const load = () =>
      loadGatewayConfig({ PORT: 'eighty', REDIS_URL: 'http://redis', DATABASE_URL: 'mysql://db', SWITCHYARD_API_KEY: 'short', ENDPOINT_ALIASES: 'nope' });
    expect(load).toThrow(ConfigError);
    for (const variable of ['PORT', 'REDIS_URL', 'DATABASE_URL', 'SWITCHYARD_API_KEY', 'ENDPOINT_ALIASES']) {
      expect(load).toThrow(new RegExp(`^  ${variable}: `, 'm'));
    }
  });

  it('reads endpoint aliases as alias=endpoint pairs', () => {
    expect(loadGatewayConfig({ ENDPOINT_ALIASES: 'abc123=echo, vec=embedder' }).ENDPOINT_ALIASES).toEqual({ abc123: 'echo', vec: 'embedder' });
  });

  it('reads the endpoints open to external RunPod workers as endpoint=jobs-per-worker, none by default', () => {
    expect(loadGatewayConfig({}).WORKER_PROTOCOL_ENDPOINTS).toEqual({});
    expect(loadGatewayConfig({ WORKER_PROTOCOL_ENDPOINTS: 'echo=4, embedder=2' }).WORKER_PROTOCOL_ENDPOINTS).toEqual({ echo: 4, embedder: 2 });
    expect(() => loadGatewayConfig({ WORKER_PROTOCOL_ENDPOINTS: 'echo=0' })).toThrow(/WORKER_PROTOCOL_ENDPOINTS.*positive integer/s);
    expect(() => loadGatewayConfig({ WORKER_PROTOCOL_ENDPOINTS: 'echo=many' })).toThrow(/positive integer/);
    expect(loadGatewayConfig({ WORKER_PROTOCOL_MAX_WORKERS: 'echo=8' }).WORKER_PROTOCOL_MAX_WORKERS).toEqual({ echo: 8 });
    expect(() => loadGatewayConfig({ WORKER_PROTOCOL_MAX_WORKERS: 'echo=-1' })).toThrow(
      /WORKER_PROTOCOL_MAX_WORKERS.*the most workers must be a positive integer/s,
    );
  });

  it("serves endpoints of the operator's own for external workers, each opened to them, with a free-form contract of its own queue", () => {
    const endpoints = gatewayEndpoints(
      loadGatewayConfig({ EXTERNAL_ENDPOINTS: 'my-sdxl, 9abc', WORKER_PROTOCOL_ENDPOINTS: 'my-sdxl=1,9abc=2', ENDPOINT_ALIASES: 'sdxl=my-sdxl' }),
    );
    const contract = endpoints.find('my-sdxl')!;
    expect(contract.queue).toBe('ext-my-sdxl');
    expect(endpoints.find('sdxl')).toBe(contract);
    expect(endpoints.find('9abc')?.queue).toBe('ext-9abc');
    expect(contract.input.safeParse({ prompt: 'x', steps: 4 }).success).toBe(true);
    expect(contract.input.safeParse('a string').success).toBe(false);
    for (const output of [[], 'text', { images: ['…'] }, null]) expect(contract.output.safeParse(output).success).toBe(true);

    expect(() => loadGatewayConfig({ EXTERNAL_ENDPOINTS: 'My_Model' })).toThrow(/EXTERNAL_ENDPOINTS: each id must be/);
    expect(() => gatewayEndpoints(loadGatewayConfig({ EXTERNAL_ENDPOINTS: 'my-sdxl' }))).toThrow(/does not open to external workers/);
    expect(() => gatewayEndpoints(loadGatewayConfig({ EXTERNAL_ENDPOINTS: 'echo', WORKER_PROTOCOL_ENDPOINTS: 'echo=1' }))).toThrow(/built-in endpoint/);
    expect(() => gatewayEndpoints(loadGatewayConfig({ ENDPOINT_ALIASES: 'embedder=echo' }))).toThrow(/an endpoint already/);
  });

  it('sweeps expired rows every 10 minutes, 1000 rows a statement, keeping webhook attempts as long as their job', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      RETENTION_SWEEP_INTERVAL_MS: 600_000,
      RETENTION_BATCH_SIZE: 1000,
      RETENTION_MAX_BATCHES_PER_SWEEP: 100,
      RETENTION_GRACE_MS: 0,
    });
    expect(config.RETENTION_WEBHOOK_ATTEMPTS_MS).toBeUndefined();
  });

  it('refuses retention settings that are not whole milliseconds or rows, naming each', () => {
    const load = () =>
      loadGatewayConfig({ RETENTION_SWEEP_INTERVAL_MS: '0', RETENTION_BATCH_SIZE: '-5', RETENTION_GRACE_MS: 'a day', RETENTION_WEBHOOK_ATTEMPTS_MS: '0' });
    for (const variable of ['RETENTION_SWEEP_INTERVAL_MS', 'RETENTION_BATCH_SIZE', 'RETENTION_GRACE_MS', 'RETENTION_WEBHOOK_ATTEMPTS_MS']) {
      expect(load).toThrow(new RegExp(`^  ${variable}: `, 'm'));
    }
  });
});
