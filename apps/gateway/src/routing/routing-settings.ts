import { readFileSync } from 'node:fs';
import { parseRoutingConfig, RoutingConfigError, type RoutingConfig } from '@switchyard/routing';
import type { EndpointRegistry } from '@switchyard/shared';
import type { GatewayConfig } from '../config';

/** The validated routing configuration, with each remote backend's API key read from the variable it names. */
export interface RoutingSettings {
  config: RoutingConfig;
  /** API key of each endpoint's remote backend, by endpoint id. */
  remoteApiKeys: ReadonlyMap<string, string>;
}

/**
 * Reads ROUTING_CONFIG (or the file ROUTING_CONFIG_FILE names) at start-up; without either, every
 * endpoint runs on its local queue alone and `undefined` is returned.
 * @throws RoutingConfigError listing every problem: the shape, endpoints the gateway does not
 *   serve, local queues that are not the endpoint's, and remote keys whose variable is unset.
 */
export function loadRoutingSettings(
  config: Pick<GatewayConfig, 'ROUTING_CONFIG' | 'ROUTING_CONFIG_FILE'>,
  endpoints: EndpointRegistry,
  environment: NodeJS.ProcessEnv = process.env,
  defaults?: DefaultRouting,
): RoutingSettings | undefined {
  if (config.ROUTING_CONFIG !== undefined && config.ROUTING_CONFIG_FILE !== undefined) {
    throw new RoutingConfigError(['ROUTING_CONFIG, ROUTING_CONFIG_FILE: set one of them, not both']);
  }
  const [source, text] =
    config.ROUTING_CONFIG_FILE !== undefined
      ? [config.ROUTING_CONFIG_FILE, readConfigFile(config.ROUTING_CONFIG_FILE)]
      : ['ROUTING_CONFIG', config.ROUTING_CONFIG];
  let json: unknown;
  if (text === undefined || text.trim() === '') {
    if (!defaults) return undefined;
    json = { endpoints: {}, models: [], local: defaults.local };
  } else {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new RoutingConfigError([`${source}: is not valid JSON (${(error as Error).message})`]);
    }
  }
  const routing = parseRoutingConfig(withDefaults(json, defaults));
  const problems: string[] = [];
  const remoteApiKeys = new Map<string, string>();
  for (const [endpointId, backends] of Object.entries(routing.endpoints)) {
    const contract = endpoints.find(endpointId);
    if (!contract) {
      problems.push(`endpoints.${endpointId}: is not an endpoint of this gateway`);
      continue;
    }
    if (contract.queue !== endpointId) problems.push(`endpoints.${endpointId}: is an alias; configure its endpoint "${contract.queue}"`);
    if (backends.local && backends.local.queue !== contract.queue) {
      problems.push(`endpoints.${endpointId}.local.queue: must be "${contract.queue}", the endpoint's queue`);
    }
    if (backends.remote) {
      const key = environment[backends.remote.apiKeyEnv];
      if (!key) problems.push(`endpoints.${endpointId}.remote.apiKeyEnv: the variable ${backends.remote.apiKeyEnv} is not set`);
      else remoteApiKeys.set(endpointId, key);
    }
  }
  if (problems.length) throw new RoutingConfigError(problems);
  return { config: routing, remoteApiKeys };
}

/** Routing the platform brings for endpoints the configuration leaves out (the text detector's models, with their browser fallback). */
export interface DefaultRouting {
  endpoints: Record<string, unknown>;
  models: unknown[];
  /** The local limits used when there is no configuration at all. */
  local: unknown;
}

/** The configuration with each default endpoint it does not configure itself, and that endpoint's models. */
function withDefaults(json: unknown, defaults: DefaultRouting | undefined): unknown {
  if (!defaults || typeof json !== 'object' || json === null) return json;
  const given = json as { endpoints?: unknown; models?: unknown };
  if (typeof given.endpoints !== 'object' || given.endpoints === null || !Array.isArray(given.models)) return json;
  const missing = Object.keys(defaults.endpoints).filter((endpointId) => !(endpointId in (given.endpoints as object)));
  return {
    ...given,
    endpoints: { ...given.endpoints, ...Object.fromEntries(missing.map((endpointId) => [endpointId, defaults.endpoints[endpointId]])) },
    models: [...given.models, ...defaults.models.filter((model) => missing.includes((model as { endpoint: string }).endpoint))],
  };
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RoutingConfigError([`ROUTING_CONFIG_FILE: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
}
