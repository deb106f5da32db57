import { parseRoutingConfig, RoutingConfigError, routingModelFor } from '@switchyard/routing';

const validConfig = () => ({
  endpoints: {
    detect: {
      local: { queue: 'detect' },
      remote: { baseUrl: 'https://api.runpod.internal/v2', endpointId: 'abc123', apiKeyEnv: 'RUNPOD_API_KEY', timeoutMs: 30_000, maxConcurrency: 4 },
      client: { enabled: true, maxModelBytes: 10_000_000 },
    },
    embed: { local: { queue: 'embed' } },
  },
  models: [
    { id: 'tiny-tfidf', endpoint: 'detect', size: 'tiny', preferred: 'client', fallbacks: ['local'], modelBytes: 2_000_000 },
    { id: 'small-perplexity', endpoint: 'detect', size: 'small', preferred: 'local', fallbacks: ['modal'] },
    { id: 'large-multilayer', endpoint: 'detect', size: 'large', preferred: 'remote', fallbacks: ['local'] },
    { id: 'embedder', endpoint: 'embed', size: 'medium', preferred: 'local' },
  ],
  local: { maxLocalSize: 'medium', maxEstimatedWaitMs: 5_000 },
});

/** Mutations reach for fields the schema forbids, so the config is untyped here. */
function problemsOf(mutate: (config: any) => void): readonly string[] {
  const config = validConfig();
  mutate(config);
  try {
    parseRoutingConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(RoutingConfigError);
    return (error as RoutingConfigError).problems;
  }
  throw new Error('expected a RoutingConfigError');
}

describe('parseRoutingConfig', () => {
  it('parses a valid configuration, normalising modal to remote and defaulting fallbacks', () => {
    const config = parseRoutingConfig(validConfig());
    expect(config.models[1]).toEqual({ id: 'small-perplexity', endpoint: 'detect', size: 'small', preferred: 'local', fallbacks: ['remote'] });
    expect(config.models[3].fallbacks).toEqual([]);
    expect(config.endpoints.detect.remote?.apiKeyEnv).toBe('RUNPOD_API_KEY');
  });

  it('accepts modal as the key of the remote backend', () => {
    const input = validConfig() as any;
    input.endpoints.detect.modal = input.endpoints.detect.remote;
    delete input.endpoints.detect.remote;
    expect(parseRoutingConfig(input).endpoints.detect.remote?.endpointId).toBe('abc123');
  });

  it.each<[string, (config: any) => void, string]>([
    ['an unknown backend', (c) => (c.models[2].fallbacks = ['gpu']), 'models[2].fallbacks[0]: unknown backend "gpu"'],
    [
      'a backend the endpoint lacks',
      (c) => (c.models[3].fallbacks = ['remote']),
      'models[3].fallbacks[0]: backend "remote" is not configured for endpoint "embed"',
    ],
    [
      'a fallback repeating the preferred backend',
      (c) => (c.models[1].fallbacks = ['local']),
      'models[1].fallbacks[0]: backend "local" is listed more than once',
    ],
    ['modal and remote both listed', (c) => (c.models[2].fallbacks = ['local', 'modal']), 'models[2].fallbacks[1]: backend "remote" is listed more than once'],
    ['an unknown endpoint', (c) => (c.models[0].endpoint = 'nope'), 'models[0].endpoint: unknown endpoint "nope"'],
    ['a duplicate model id', (c) => (c.models[3].id = 'tiny-tfidf'), 'models[3].id: duplicate model id "tiny-tfidf"'],
    ['a client model without its size', (c) => delete c.models[0].modelBytes, 'models[0].modelBytes: is required when the model may run on the client'],
    ['a base URL that is not http', (c) => (c.endpoints.detect.remote.baseUrl = 'ftp://x'), 'endpoints.detect.remote.baseUrl: must be an http or https URL'],
    ['a size outside the categories', (c) => (c.models[0].size = 'huge'), 'models[0].size: '],
    ['a local limit outside the categories', (c) => (c.local.maxLocalSize = 'xl'), 'local.maxLocalSize: '],
    ['a non-positive timeout', (c) => (c.endpoints.detect.remote.timeoutMs = 0), 'endpoints.detect.remote.timeoutMs: '],
    ['a fractional concurrency', (c) => (c.endpoints.detect.remote.maxConcurrency = 1.5), 'endpoints.detect.remote.maxConcurrency: '],
    ['a misspelt field', (c) => (c.endpoints.detect.client.maxModelByte = 1), 'endpoints.detect.client.maxModelByte: unknown field'],
    ['a missing section', (c) => delete c.local, 'local: '],
  ])('names the path of %s', (_, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual([expect.stringContaining(expected)]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf((c) => {
      c.models[0].preferred = 'gpu';
      c.models[1].size = 'huge';
      c.endpoints.detect.local.queue = '';
    });
    expect(problems.map((line) => line.split(':')[0])).toEqual(['endpoints.detect.local.queue', 'models[0].preferred', 'models[1].size']);
  });

  it('says the error is about the routing configuration, one problem a line', () => {
    expect(() => parseRoutingConfig({})).toThrow(/^invalid routing configuration:\n {2}endpoints: /);
  });

  it('refuses a key pasted into apiKeyEnv', () => {
    const problems = problemsOf((c) => (c.endpoints.detect.remote.apiKeyEnv = 'rpa_3F7XKQ2M9ZP4'));
    expect(problems).toEqual([expect.stringMatching(/^endpoints\.detect\.remote\.apiKeyEnv: must be the NAME of an environment variable/)]);
  });

  it.each(['apiKey', 'api_key', 'token', 'secret'])('refuses a literal credential under %s, pointing to apiKeyEnv', (field) => {
    const problems = problemsOf((c) => (c.endpoints.detect.remote[field] = 'rpa_3F7XKQ2M9ZP4'));
    expect(problems).toEqual([
      `endpoints.detect.remote.${field}: ${'credentials do not belong in the routing configuration'}; put the key in an environment variable and name that variable in apiKeyEnv`,
    ]);
  });

  it('refuses a literal credential even when the rest is valid', () => {
    const problems = problemsOf((c) => (c.models[0].apiKey = 'sk-live'));
    expect(problems).toEqual([expect.stringMatching(/^models\[0\]\.apiKey: .*apiKeyEnv$/)]);
  });
});

describe('routingModelFor', () => {
  const config = parseRoutingConfig({
    ...validConfig(),
    endpoints: {
      ...validConfig().endpoints,
      overflow: { local: { queue: 'overflow' }, remote: validConfig().endpoints.detect.remote },
      burst: { remote: validConfig().endpoints.detect.remote },
    },
  });

  it('finds the model a request names on its endpoint', () => {
    expect(routingModelFor(config, 'detect', 'large-multilayer')?.preferred).toBe('remote');
  });

  it("answers the endpoint's first model for a request naming none, or naming one it lacks", () => {
    expect(routingModelFor(config, 'detect')?.id).toBe('tiny-tfidf');
    expect(routingModelFor(config, 'detect', 'embedder')?.id).toBe('tiny-tfidf');
  });

  it('implies local first, overflowing to remote, for an endpoint configured without models', () => {
    expect(routingModelFor(config, 'overflow')).toEqual({ id: 'overflow', endpoint: 'overflow', size: 'tiny', preferred: 'local', fallbacks: ['remote'] });
    expect(routingModelFor(config, 'burst')).toMatchObject({ preferred: 'remote', fallbacks: [] });
  });

  it('answers nothing for an endpoint without routing', () => {
    expect(routingModelFor(config, 'spai')).toBeUndefined();
  });
});
