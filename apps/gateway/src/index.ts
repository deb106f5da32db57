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
      console.error(error instanceof ConfigError ? error.message : error);
      process.exit(1);
    }
  })();
}
