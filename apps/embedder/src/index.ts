import { usesGpu } from '@switchyard/model-runtime';
import { ConfigError, createLogger, QUEUES } from '@switchyard/shared';
import { bootstrapWorker } from '@switchyard/worker';
import { loadEmbedderConfig } from './config';
import { embedderModule } from './embedder.module';
import { EmbeddingService } from './embedding-service';

export { loadEmbedderConfig, type EmbedderConfig } from './config';
export { embedderModule } from './embedder.module';
export { EmbeddingService, type EmbeddingFailure, type EmbeddingModels, type EmbeddingServiceOptions } from './embedding-service';

/**
 * Batching across jobs needs many jobs in flight at once; the worker host's default concurrency (8)
 * would cap every batch at 8 requests, so the embedder's default is 64.
 */
const DEFAULT_CONCURRENCY = 64;

async function main(): Promise<void> {
  const config = loadEmbedderConfig();
  const embeddings = await EmbeddingService.load(config, createLogger('embedder', config.logLevel));
  await bootstrapWorker({
    app: 'embedder',
    module: embedderModule(embeddings),
    defaultQueues: [QUEUES.embedder, QUEUES.echo],
    defaultConcurrency: DEFAULT_CONCURRENCY,
    onGpu: usesGpu(config.runtime.sessions.executionProviders),
    healthDetails: () => embeddings.describe(),
  });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
