import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoutingConfigError } from '@switchyard/routing';
import { EndpointRegistry } from '@switchyard/shared';
import { loadRoutingSettings, type DefaultRouting } from '../src/routing/routing-settings';

const remote = { baseUrl: 'https://api.runpod.ai', endpointId: 'abc123', apiKeyEnv: 'ECHO_RUNPOD_KEY', timeoutMs: 10_000, maxConcurrency: 2 };
const config = (endpoints: Record<string, unknown>, models: unknown[] = []) =>
  JSON.stringify({ endpoints, models, local: { maxLocalSize: 'large', maxEstimatedWaitMs: 5_000 } });
const endpoints = new EndpointRegistry({ 'my-old-id': 'echo' });

function problemsOf(json: string, environment: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    loadRoutingSettings({ ROUTING_CONFIG: json, ROUTING_CONFIG_FILE: undefined }, endpoints, environment);
  } catch (error) {
    expect(error).toBeInstanceOf(RoutingConfigError);
    return (error as RoutingConfigError).problems;
  }
  throw new Error('expected a RoutingConfigError');
}

describe('loadRoutingSettings', () => {
  it('reads the remote key from the variable the configuration names', () => {
    const settings = loadRoutingSettings(
      { ROUTING_CONFIG: config({ echo: { local: { queue: 'echo' }, remote } }), ROUTING_CONFIG_FILE: undefined },
      endpoints,
      {
        ECHO_RUNPOD_KEY: 'rpa_secret',
      },
    );
    expect(settings?.remoteApiKeys.get('echo')).toBe('rpa_secret');
  });

  it('reads a file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sy-routing-')), 'routing.json');
    writeFileSync(path, config({ echo: { local: { queue: 'echo' } } }));
    expect(loadRoutingSettings({ ROUTING_CONFIG: undefined, ROUTING_CONFIG_FILE: path }, endpoints, {})?.config.endpoints.echo.local).toEqual({
      queue: 'echo',
    });
  });

  it('answers nothing without a configuration or defaults, and treats a blank one as none', () => {
    expect(loadRoutingSettings({ ROUTING_CONFIG: undefined, ROUTING_CONFIG_FILE: undefined }, endpoints, {})).toBeUndefined();
    expect(loadRoutingSettings({ ROUTING_CONFIG: '  ', ROUTING_CONFIG_FILE: undefined }, endpoints, {})).toBeUndefined();
  });

  it('lists every problem: unknown endpoints, aliases, foreign queues, unset key variables', () => {
    expect(
      problemsOf(
        config({
          nowhere: { local: { queue: 'nowhere' } },
          'my-old-id': { local: { queue: 'echo' } },
          embedder: { local: { queue: 'echo' }, remote },
        }),
      ),
    ).toEqual([
      'endpoints.nowhere: is not an endpoint of this gateway',
      'endpoints.my-old-id: is an alias; configure its endpoint "echo"',
      'endpoints.embedder.local.queue: must be "embedder", the endpoint\'s queue',
      'endpoints.embedder.remote.apiKeyEnv: the variable ECHO_RUNPOD_KEY is not set',
    ]);
  });

  it('refuses JSON that does not parse, a file that cannot be read, and both sources at once', () => {
    expect(problemsOf('{"endpoints":')[0]).toMatch(/^ROUTING_CONFIG: is not valid JSON/);
    expect(() => loadRoutingSettings({ ROUTING_CONFIG: undefined, ROUTING_CONFIG_FILE: '/nonexistent/routing.json' }, endpoints, {})).toThrow(
      /ROUTING_CONFIG_FILE: \/nonexistent\/routing.json cannot be read \(ENOENT\)/,
    );
    expect(() => loadRoutingSettings({ ROUTING_CONFIG: '{}', ROUTING_CONFIG_FILE: '/tmp/x.json' }, endpoints, {})).toThrow(/set one of them, not both/);
  });

  describe('with defaults for endpoints the configuration leaves out', () => {
    const defaults: DefaultRouting = {
      endpoints: { 'text-detector': { local: { queue: 'text-detector' } } },
      models: [{ id: 'detector', endpoint: 'text-detector', size: 'small', preferred: 'local' }],
      local: { maxLocalSize: 'medium', maxEstimatedWaitMs: 1_000 },
    };

    it('uses them alone without a configuration', () => {
      const settings = loadRoutingSettings({ ROUTING_CONFIG: undefined, ROUTING_CONFIG_FILE: undefined }, endpoints, {}, defaults)!;
      expect(settings.config.models.map((model) => model.id)).toEqual(['detector']);
      expect(settings.config.local).toEqual({ maxLocalSize: 'medium', maxEstimatedWaitMs: 1_000 });
    });

    it('adds them to a configuration that does not configure their endpoint, under its local limits', () => {
      const settings = loadRoutingSettings(
        { ROUTING_CONFIG: config({ echo: { local: { queue: 'echo' } } }), ROUTING_CONFIG_FILE: undefined },
        endpoints,
        {},
        defaults,
      )!;
      expect(Object.keys(settings.config.endpoints)).toEqual(['echo', 'text-detector']);
      expect(settings.config.local.maxEstimatedWaitMs).toBe(5_000);
    });

    it('leaves an endpoint the configuration configures as it is', () => {
      const own = config({ 'text-detector': { local: { queue: 'text-detector' }, remote } }, [
        { id: 'mine', endpoint: 'text-detector', size: 'large', preferred: 'remote', fallbacks: ['local'] },
      ]);
      const settings = loadRoutingSettings({ ROUTING_CONFIG: own, ROUTING_CONFIG_FILE: undefined }, endpoints, { ECHO_RUNPOD_KEY: 'k' }, defaults)!;
      expect(settings.config.models.map((model) => model.id)).toEqual(['mine']);
    });
  });
});
