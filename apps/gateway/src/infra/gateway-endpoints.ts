import { BUILT_IN_ENDPOINTS, ConfigError, EndpointRegistry, externalEndpointContract, type QueueContract } from '@switchyard/shared';
import type { GatewayConfig } from '../config';

/**
 * The endpoints the gateway serves: the built-in ones, the operator's own that only external
 * workers serve (EXTERNAL_ENDPOINTS, each opened in WORKER_PROTOCOL_ENDPOINTS, or nothing would run
 * its jobs), and aliases of either.
 */
export function gatewayEndpoints(config: Pick<GatewayConfig, 'ENDPOINT_ALIASES' | 'EXTERNAL_ENDPOINTS' | 'WORKER_PROTOCOL_ENDPOINTS'>): EndpointRegistry {
  const endpoints: Record<string, QueueContract> = { ...BUILT_IN_ENDPOINTS };
  for (const endpointId of config.EXTERNAL_ENDPOINTS) {
    if (endpoints[endpointId]) throw new ConfigError(`EXTERNAL_ENDPOINTS names "${endpointId}", which is a built-in endpoint`);
    if (!(endpointId in config.WORKER_PROTOCOL_ENDPOINTS)) {
      throw new ConfigError(
        `EXTERNAL_ENDPOINTS names "${endpointId}", which WORKER_PROTOCOL_ENDPOINTS does not open to external workers: nothing would run its jobs`,
      );
    }
    endpoints[endpointId] = externalEndpointContract(endpointId);
  }
  return new EndpointRegistry(config.ENDPOINT_ALIASES, endpoints);
}
