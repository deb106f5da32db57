import { bootstrapWorker } from '@switchyard/worker';
import { EmbedderModule } from './embedder.module';

void bootstrapWorker({ app: 'embedder', module: EmbedderModule, defaultQueues: ['echo'] }).catch((error) => {
  console.error(error);
  process.exit(1);
});
