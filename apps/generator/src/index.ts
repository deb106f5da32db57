import { QUEUES } from '@switchyard/shared';
import { bootstrapWorker } from '@switchyard/worker';
import { GeneratorModule } from './generator.module';

void bootstrapWorker({ app: 'generator', module: GeneratorModule, defaultQueues: [QUEUES.echo] }).catch((error) => {
  console.error(error);
  process.exit(1);
});
