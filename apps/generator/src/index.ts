import { loadImageGenerationServices } from '@switchyard/image-generation';
import { usesGpu } from '@switchyard/model-runtime';
import { ConfigError, createLogger, QUEUES } from '@switchyard/shared';
import { bootstrapWorker, loadWorkerConfig } from '@switchyard/worker';
import { loadGeneratorConfig } from './config';
import { generatorWorkerModule } from './generator.module';

export { loadGeneratorConfig, type GeneratorConfig } from './config';
export { generatorWorkerModule } from './generator.module';

const APP = 'generator';
const DEFAULT_QUEUES = [QUEUES.generator, QUEUES.upscaler, QUEUES.echo];

async function main(): Promise<void> {
  const config = loadGeneratorConfig();
  // Only the models of the queues served (WORKER_QUEUES) are loaded, before any job is taken.
  const queues = loadWorkerConfig(APP, DEFAULT_QUEUES).WORKER_QUEUES;
  const logger = createLogger(APP, config.logLevel);
  const services = await loadImageGenerationServices(config.images, logger, {
    generator: queues.includes(QUEUES.generator),
    upscaler: queues.includes(QUEUES.upscaler),
  });
  await bootstrapWorker({
    app: APP,
    module: generatorWorkerModule(services),
    defaultQueues: DEFAULT_QUEUES,
    // A generation or an upscale takes every core (or the device) and up to hundreds of MB: one at a time per queue.
    defaultConcurrency: 1,
    onGpu: usesGpu(config.images.runtime.sessions.executionProviders),
    healthDetails: () => ({
      ...(services.generator ? { generator: services.generator.describe() } : {}),
      ...(services.upscaler ? { upscaler: services.upscaler.describe() } : {}),
    }),
  });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
