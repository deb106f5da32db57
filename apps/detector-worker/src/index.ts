import { QUEUES } from '@switchyard/shared';
import { bootstrapWorker } from '@switchyard/worker';
import { DetectorWorkerModule } from './detector-worker.module';

void bootstrapWorker({ app: 'detector-worker', module: DetectorWorkerModule, defaultQueues: [QUEUES.echo] }).catch((error) => {
  console.error(error);
  process.exit(1);
});
