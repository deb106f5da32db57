import { QUEUES } from '@switchyard/shared';
import { bootstrapWorker } from '@switchyard/worker';
import { DeployerModule } from './deployer.module';

void bootstrapWorker({ app: 'deployer', module: DeployerModule, defaultQueues: [QUEUES.echo] }).catch((error) => {
  console.error(error);
  process.exit(1);
});
