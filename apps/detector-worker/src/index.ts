import { SpaiService } from '@switchyard/image-detection';
import { usesGpu } from '@switchyard/model-runtime';
import { ConfigError, createLogger, QUEUES } from '@switchyard/shared';
import { TextDetectorService } from '@switchyard/text-detection';
import { bootstrapWorker, loadWorkerConfig } from '@switchyard/worker';
import { loadDetectorWorkerConfig } from './config';
import { detectorWorkerModule } from './detector-worker.module';

export { loadDetectorWorkerConfig, type DetectorWorkerConfig } from './config';
export { detectorWorkerModule, type DetectorServices } from './detector-worker.module';

const APP = 'detector-worker';
const DEFAULT_QUEUES = [QUEUES.spai, QUEUES.textDetector, QUEUES.echo];

async function main(): Promise<void> {
  const config = loadDetectorWorkerConfig();
  // Only the models of the queues served (WORKER_QUEUES) are loaded, before any job is taken.
  const queues = loadWorkerConfig(APP, DEFAULT_QUEUES).WORKER_QUEUES;
  const logger = createLogger(APP, config.logLevel);
  const spai = queues.includes(QUEUES.spai) ? await SpaiService.load(config.spai, logger) : undefined;
  const textDetector = queues.includes(QUEUES.textDetector) ? await TextDetectorService.load(config.textDetector, logger) : undefined;
  await bootstrapWorker({
    app: APP,
    module: detectorWorkerModule({ spai, textDetector }),
    defaultQueues: DEFAULT_QUEUES,
    onGpu: usesGpu(config.spai.runtime.sessions.executionProviders),
    // The router sends a model's jobs to workers that announce it.
    servedModels: (queue) => (queue === QUEUES.textDetector ? textDetector?.registry.ids : undefined),
    healthDetails: () => ({ ...(spai ? { spai: spai.describe() } : {}), ...(textDetector ? { textDetector: textDetector.describe() } : {}) }),
  });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
