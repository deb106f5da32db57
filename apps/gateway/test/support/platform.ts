import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestMicroservice, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { createTemporaryPostgresDatabase } from '@switchyard/db/src/testing';
import { generateModels } from '@switchyard/model-zoo';
import {
  createLogger,
  embedderContract,
  generatorContract,
  JobStateStore,
  RedisKeys,
  spaiContract,
  textDetectorContract,
  upscalerContract,
  type QueueContract,
} from '@switchyard/shared';
import { TextDetectorService } from '@switchyard/text-detection';
import { SpaiService } from '@switchyard/image-detection';
import { loadImageGenerationServices, type ImageGenerationServices } from '@switchyard/image-generation';
import { BlobClaimCheck } from '@switchyard/blobs';
import { newEchoJob } from '@switchyard/testing';
import { BullMqJobServer, createWorkerMicroservice, EchoModule, loadWorkerConfig } from '@switchyard/worker';
import { gatewayConfigSchema, type GatewayConfig } from '../../src/config';
import { createGatewayApp } from '../../src/gateway-app';
import { DATABASE } from '../../src/infra/tokens';
import type { Database } from '@switchyard/db';
import { echoContract } from '@switchyard/shared';
import { loadEmbedderConfig } from '../../../embedder/src/config';
import { embedderModule } from '../../../embedder/src/embedder.module';
import { EmbeddingService } from '../../../embedder/src/embedding-service';
import { loadDetectorWorkerConfig } from '../../../detector-worker/src/config';
import { detectorWorkerModule } from '../../../detector-worker/src/detector-worker.module';
import { loadGeneratorConfig } from '../../../generator/src/config';
import { generatorWorkerModule } from '../../../generator/src/generator.module';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The blob store gateways and workers of one test file share, as they would through configuration. */
export const TEST_BLOB_DIR = mkdtempSync(join(tmpdir(), 'sy-blobs-'));
afterAll(() => rmSync(TEST_BLOB_DIR, { recursive: true, force: true }));
export const API_KEY = 'test-key-' + randomBytes(12).toString('hex');
export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

/** A Redis key prefix of its own per test file, so suites never see each other's jobs; each queue adds its own hash tag. */
export function uniquePrefix(): string {
  return `sy-test-${randomBytes(4).toString('hex')}`;
}

export function gatewayConfig(overrides: Record<string, string | undefined>): GatewayConfig {
  return gatewayConfigSchema.parse({
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    SWITCHYARD_API_KEY: API_KEY,
    SWITCHYARD_SECRET_KEY: TEST_SECRET_KEY,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCALE: '0.001',
    LOG_LEVEL: 'warn',
    BLOB_DIR: TEST_BLOB_DIR,
    ...overrides,
  });
}

/** A gateway listening on a free port, with a client that sends the test key. */
export class GatewayUnderTest {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly baseUrl: string,
  ) {}

  static async start(config: GatewayConfig, options: { extraControllers?: Type[] } = {}): Promise<GatewayUnderTest> {
    const app = await createGatewayApp(config, options);
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    return new GatewayUnderTest(app, `http://127.0.0.1:${address.port}`);
  }

  get database(): Database {
    return this.app.get<Database>(DATABASE);
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

export interface WorkerOptions {
  concurrency?: number;
  /** The worker's settings (BLOB_*, JOB_SECRETS_KEY, S3CONFIG_ALLOW_PRIVATE); blobs by default in the test file's shared folder. */
  blobs?: Record<string, string>;
  workerId?: string;
  abortGraceMs?: number;
  /** How often jobs of dead workers are looked for, and how long a job's lock lives (30 s each by default). */
  stalledIntervalMs?: number;
  /** The models announced per queue, as a worker serving several announces them. */
  servedModels?: (queue: string) => readonly string[] | undefined;
}

/** An in-process worker app, serving `contracts`, on the same Redis and prefix as the gateway under test. */
export async function startWorkerApp(
  module: Type | DynamicModule,
  contracts: QueueContract[],
  prefix: string,
  options: WorkerOptions = {},
): Promise<INestMicroservice> {
  const workerConfig = loadWorkerConfig('test-worker', [], { BLOB_DIR: TEST_BLOB_DIR, ...options.blobs });
  const server = new BullMqJobServer({
    redisUrl: TEST_REDIS_URL,
    keys: new RedisKeys(prefix),
    contracts,
    concurrency: options.concurrency ?? 4,
    workerId: options.workerId ?? `test-worker-${randomBytes(3).toString('hex')}`,
    stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
    lockDurationMs: options.stalledIntervalMs ?? 30_000,
    logger: createLogger('test-worker', 'warn'),
    runner: { abortGraceMs: options.abortGraceMs ?? 10_000 },
    claimCheck: BlobClaimCheck.fromConfig(workerConfig),
    callerBuckets: { secretsKey: workerConfig.JOB_SECRETS_KEY, allowPrivate: workerConfig.S3CONFIG_ALLOW_PRIVATE },
    servedModels: options.servedModels,
  });
  const app = await createWorkerMicroservice(module, server, false);
  await app.listen();
  return app;
}

/** An in-process echo worker on the same Redis and prefix as the gateway under test. */
export function startEchoWorker(prefix: string, options: WorkerOptions = {}): Promise<INestMicroservice> {
  return startWorkerApp(EchoModule, [echoContract], prefix, options);
}

/** An in-process embedder worker on the tiny models of the model zoo, generated into a folder of its own. */
export class EmbedderWorkerUnderTest {
  private constructor(
    readonly app: INestMicroservice,
    readonly embeddings: EmbeddingService,
    private readonly modelsDir: string,
  ) {}

  /** `env` takes the embedder's settings (EMBEDDER_*), e.g. EMBEDDER_IMAGE_FETCH_ALLOW for a local image server. */
  static async start(prefix: string, env: Record<string, string> = {}, options: { concurrency?: number } = {}): Promise<EmbedderWorkerUnderTest> {
    const modelsDir = mkdtempSync(join(tmpdir(), 'sy-embedder-models-'));
    await generateModels({ outDir: modelsDir, tiers: ['tiny'], models: ['miniLm', 'clip'] });
    const config = loadEmbedderConfig({ MODEL_DIR: join(modelsDir, 'tiny'), MODEL_CACHE_DIR: join(modelsDir, 'cache'), HF_HUB_OFFLINE: 'true', ...env });
    const embeddings = await EmbeddingService.load(config, createLogger('test-embedder', 'warn'));
    const app = await startWorkerApp(embedderModule(embeddings), [embedderContract, echoContract], prefix, { concurrency: options.concurrency ?? 32 });
    return new EmbedderWorkerUnderTest(app, embeddings, modelsDir);
  }

  /** Stops taking jobs, lets the running ones finish and releases the models. */
  async close(): Promise<void> {
    await this.app.close();
    rmSync(this.modelsDir, { recursive: true, force: true });
  }
}

/** An in-process detector worker on the tiny SPAI replica of the model zoo (and its text detector when asked), generated into a folder of its own. */
export class DetectorWorkerUnderTest {
  private constructor(
    readonly app: INestMicroservice,
    readonly spai: SpaiService,
    /** Where the replica the worker runs lies, for tests that run its graphs apart. */
    readonly modelsDir: string,
    readonly textDetector?: TextDetectorService,
  ) {}

  /**
   * `env` takes the detector worker's settings (SPAI_*, TEXT_DETECTOR_*), e.g. SPAI_IMAGE_FETCH_ALLOW for a local image server;
   * `textDetector` serves the text-detector queue too.
   */
  static async start(
    prefix: string,
    env: Record<string, string> = {},
    options: { concurrency?: number; textDetector?: boolean } = {},
  ): Promise<DetectorWorkerUnderTest> {
    const modelsDir = mkdtempSync(join(tmpdir(), 'sy-detector-models-'));
    await generateModels({ outDir: modelsDir, tiers: ['tiny'], models: options.textDetector ? ['spai', 'textDetector'] : ['spai'] });
    const config = loadDetectorWorkerConfig({ MODEL_DIR: join(modelsDir, 'tiny'), MODEL_CACHE_DIR: join(modelsDir, 'cache'), HF_HUB_OFFLINE: 'true', ...env });
    const logger = createLogger('test-detector', 'warn');
    const spai = await SpaiService.load(config.spai, logger);
    const textDetector = options.textDetector ? await TextDetectorService.load(config.textDetector, logger) : undefined;
    const contracts = [spaiContract, ...(textDetector ? [textDetectorContract] : []), echoContract];
    const app = await startWorkerApp(detectorWorkerModule({ spai, textDetector }), contracts, prefix, {
      concurrency: options.concurrency ?? 8,
      servedModels: (queue) => (queue === textDetectorContract.queue ? textDetector?.registry.ids : undefined),
    });
    return new DetectorWorkerUnderTest(app, spai, modelsDir, textDetector);
  }

  /** Stops taking jobs, lets the running ones finish and releases the models. */
  async close(): Promise<void> {
    await this.app.close();
    rmSync(this.modelsDir, { recursive: true, force: true });
  }
}

/** An in-process generator worker (the `generator` and `upscaler` queues) on the tiny replicas of the model zoo, generated into a folder of its own. */
export class GeneratorWorkerUnderTest {
  private constructor(
    readonly app: INestMicroservice,
    readonly services: ImageGenerationServices,
    /** Where the replicas the worker runs lie, for tests that run their graphs apart. */
    readonly modelsDir: string,
  ) {}

  /** `env` takes the generator's settings (GENERATOR_*, UPSCALER_*), e.g. UPSCALER_IMAGE_FETCH_ALLOW for a local image server. */
  static async start(prefix: string, env: Record<string, string> = {}): Promise<GeneratorWorkerUnderTest> {
    const modelsDir = mkdtempSync(join(tmpdir(), 'sy-generator-models-'));
    await generateModels({ outDir: modelsDir, tiers: ['tiny'], models: ['stableDiffusionXl', 'realEsrgan', 'clip', 'aestheticHead'] });
    const config = loadGeneratorConfig({ MODEL_DIR: join(modelsDir, 'tiny'), MODEL_CACHE_DIR: join(modelsDir, 'cache'), HF_HUB_OFFLINE: 'true', ...env });
    const services = await loadImageGenerationServices(config.images, createLogger('test-generator', 'warn'), { generator: true, upscaler: true });
    // One job at a time per queue, as the generator is deployed.
    const app = await startWorkerApp(generatorWorkerModule(services), [generatorContract, upscalerContract, echoContract], prefix, { concurrency: 1 });
    return new GeneratorWorkerUnderTest(app, services, modelsDir);
  }

  /** Stops taking jobs, lets the running ones finish and releases the models. */
  async close(): Promise<void> {
    await this.app.close();
    rmSync(this.modelsDir, { recursive: true, force: true });
  }
}

/** The temporary stores one test file uses, removed at the end. */
export async function createTestStores() {
  const prefix = uniquePrefix();
  const postgres = await createTemporaryPostgresDatabase();
  const pgliteDir = mkdtempSync(join(tmpdir(), 'sy-pglite-'));
  const redis = new Redis(TEST_REDIS_URL);
  return {
    prefix,
    databaseUrl: postgres.url,
    pgliteDir,
    redis,
    async cleanup() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await postgres.drop();
      rmSync(pgliteDir, { recursive: true, force: true });
    },
  };
}

/**
 * Records an echo job as queued in the state store alone, without a queue entry, bypassing the
 * gateway's checks: what an older or buggy producer writes, or a gateway killed between the two.
 */
export async function queueStateOnly(stores: { redis: Redis; prefix: string }, id: string, input: unknown): Promise<void> {
  await new JobStateStore(stores.redis, new RedisKeys(stores.prefix).queue('echo')).queue(newEchoJob({ id, input }));
}

export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** A gateway on its own stores, optionally with an in-process echo worker: the usual test set-up. */
export interface TestPlatform {
  stores: Awaited<ReturnType<typeof createTestStores>>;
  gateway: GatewayUnderTest;
  close(): Promise<void>;
}

export async function startTestPlatform(options: { echoWorker?: boolean; config?: Record<string, string> } = {}): Promise<TestPlatform> {
  const stores = await createTestStores();
  const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, ...options.config }));
  const worker = options.echoWorker === false ? undefined : await startEchoWorker(stores.prefix);
  return {
    stores,
    gateway,
    async close() {
      await worker?.close();
      await gateway.close();
      await stores.cleanup();
    },
  };
}
