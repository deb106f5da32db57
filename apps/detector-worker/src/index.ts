import { bootstrapWorker } from '@switchyard/worker';
import { DetectorWorkerModule } from './detector-worker.module';

void bootstrapWorker({ app: 'detector-worker', module: DetectorWorkerModule, defaultQueues: ['echo'] }).catch((error) => {
  console.error(error);
  process.exit(1);
});
