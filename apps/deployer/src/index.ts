import { ConfigError, QUEUES } from '@switchyard/shared';
import { bootstrapWorker } from '@switchyard/worker';
import { loadDeployerConfig } from './config';
import { DeployerModule } from './deployer.module';

export { loadDeployerConfig, type DeployerConfig } from './config';
export { DeployerModule } from './deployer.module';

async function main(): Promise<void> {
  const config = loadDeployerConfig();
  // A deployment mostly waits on RunPod: many run at once.
  await bootstrapWorker({ app: 'deployer', module: DeployerModule.register(config), defaultQueues: [QUEUES.deployer], defaultConcurrency: 16 });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
