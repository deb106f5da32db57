import { SpaiService } from '@switchyard/image-detection';
import { usesGpu } from '@switchyard/model-runtime';
import { ConfigError, createLogger, QUEUES } from '@switchyard/shared';
import { bootstrapWorker } from '@switchyard/worker';
import { loadDetectorWorkerConfig } from './config';
import { detectorWorkerModule } from './detector-worker.module';

export { loadDetectorWorkerConfig, type DetectorWorkerConfig } from './config';
export { detectorWorkerModule } from './detector-worker.module';

async function main(): Promise<void> {
  const config = loadDetectorWorkerConfig();
  const spai = await SpaiService.load(config.spai, createLogger('detector-worker', config.logLevel));
  await bootstrapWorker({
    app: 'detector-worker',
    module: detectorWorkerModule(spai),
    defaultQueues: [QUEUES.spai, QUEUES.echo],
    onGpu: usesGpu(config.spai.runtime.sessions.executionProviders),
    healthDetails: () => ({ spai: spai.describe() }),
  });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
