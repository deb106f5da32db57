import { RoutingConfigError } from '@switchyard/routing';
import { ConfigError } from '@switchyard/shared';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway-app';

export { createGatewayApp, startGateway } from './gateway-app';
export { loadGatewayConfig } from './config';

if (require.main === module) {
  void (async () => {
    try {
      await startGateway(loadGatewayConfig());
    } catch (error) {
      // Configuration mistakes are the operator's to fix: their message lists them, a stack would bury it.
      console.error(error instanceof ConfigError || error instanceof RoutingConfigError ? error.message : error);
      process.exit(1);
    }
  })();
}
