import { resolve } from 'node:path';
import { ModelRuntimeConfigError, loadModelRuntimeConfig, sessionStartupWarnings } from '@switchyard/model-runtime';

describe('loadModelRuntimeConfig', () => {
  it('has defaults that need no environment at all', () => {
    expect(loadModelRuntimeConfig({}, '/srv/app', 2)).toEqual({
      store: {
        cacheDir: '/srv/app/.switchyard/models',
        modelDir: undefined,
        hub: { url: 'https://huggingface.co', accessToken: undefined },
        offline: false,
        s3: undefined,
      },
      sessions: {
        executionProviders: ['cpu'],
        inferenceThreads: 1,
        intraOpNumThreads: 2,
        interOpNumThreads: undefined,
        graphOptimizationLevel: undefined,
        threadSpinning: false,
      },
      cores: 2,
    });
  });

  it('runs models in one inference thread per four cores by default, sharing the cores among them', () => {
    expect(loadModelRuntimeConfig({}, '/srv/app', 16).sessions).toMatchObject({ inferenceThreads: 4, intraOpNumThreads: 4 });
    expect(loadModelRuntimeConfig({ MODEL_INFERENCE_THREADS: '3' }, '/srv/app', 16).sessions).toMatchObject({ inferenceThreads: 3, intraOpNumThreads: 5 });
    // 0: on the event loop, with onnxruntime's own default of a thread per core.
    expect(loadModelRuntimeConfig({ MODEL_INFERENCE_THREADS: '0' }, '/srv/app', 16).sessions).toMatchObject({
      inferenceThreads: 0,
      intraOpNumThreads: undefined,
    });
  });

  it('warns at start-up when inference threads × intra-op threads exceed the cores', () => {
    const fits = loadModelRuntimeConfig({ MODEL_INFERENCE_THREADS: '2', MODEL_INTRA_OP_THREADS: '4' }, '/srv/app', 8);
    const exceeds = loadModelRuntimeConfig({ MODEL_INFERENCE_THREADS: '2', MODEL_INTRA_OP_THREADS: '4' }, '/srv/app', 6);

    expect(sessionStartupWarnings(fits)).toEqual([]);
    expect(sessionStartupWarnings(exceeds)).toEqual([
      '2 inference thread(s) × 4 onnxruntime thread(s) each is 8, more than the 6 cores available: ' +
        'runs compete for the cores; lower MODEL_INFERENCE_THREADS or MODEL_INTRA_OP_THREADS',
    ]);
    expect(sessionStartupWarnings(loadModelRuntimeConfig({}, '/srv/app', 1))).toEqual([]);
  });

  it('reads the CUDA provider’s options, and warns about those onnxruntime-node does not apply', () => {
    const config = loadModelRuntimeConfig(
      {
        MODEL_EXECUTION_PROVIDERS: 'cuda,cpu',
        MODEL_CUDA_DEVICE_ID: '1',
        MODEL_CUDA_GPU_MEM_LIMIT: '8589934592',
        MODEL_CUDA_ARENA_EXTEND_STRATEGY: 'kSameAsRequested',
      },
      '/srv/app',
      8,
    );

    expect(config.sessions.cuda).toEqual({ deviceId: 1, gpuMemLimit: 8589934592, arenaExtendStrategy: 'kSameAsRequested' });
    expect(sessionStartupWarnings(config)).toEqual([
      'onnxruntime-node passes only device_id to the CUDA provider; cuda.gpu_mem_limit and cuda.arena_extend_strategy are not applied',
    ]);
    expect(sessionStartupWarnings(loadModelRuntimeConfig({ MODEL_EXECUTION_PROVIDERS: 'cuda,cpu', MODEL_CUDA_DEVICE_ID: '1' }, '/srv/app', 8))).toEqual([]);
  });

  it('reads every setting into typed options', () => {
    const config = loadModelRuntimeConfig(
      {
        MODEL_DIR: 'models/tiny',
        MODEL_CACHE_DIR: '/var/cache/models',
        HF_ENDPOINT: 'http://hub.internal:8080',
        HF_TOKEN: 'hf_abc',
        HF_HUB_OFFLINE: '1',
        MODEL_S3_BUCKET: 'weights',
        MODEL_S3_PREFIX: 'hf',
        S3_ENDPOINT: 'http://minio:9000',
        S3_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'minio',
        AWS_SECRET_ACCESS_KEY: 'minio123',
        MODEL_EXECUTION_PROVIDERS: 'cuda, cpu',
        MODEL_INTRA_OP_THREADS: '4',
        MODEL_INTER_OP_THREADS: '2',
        MODEL_GRAPH_OPTIMIZATION: 'extended',
        MODEL_THREAD_SPINNING: 'true',
        MODEL_INFERENCE_THREADS: '2',
        MODEL_CUDA_DEVICE_ID: '0',
      },
      '/srv/app',
      8,
    );

    expect(config).toEqual({
      store: {
        cacheDir: '/var/cache/models',
        modelDir: resolve('/srv/app', 'models/tiny'),
        hub: { url: 'http://hub.internal:8080', accessToken: 'hf_abc' },
        offline: true,
        s3: {
          bucket: 'weights',
          prefix: 'hf',
          endpoint: 'http://minio:9000',
          region: 'eu-west-1',
          credentials: { accessKeyId: 'minio', secretAccessKey: 'minio123' },
          forcePathStyle: true,
        },
      },
      sessions: {
        executionProviders: ['cuda', 'cpu'],
        cuda: { deviceId: 0 },
        inferenceThreads: 2,
        intraOpNumThreads: 4,
        interOpNumThreads: 2,
        graphOptimizationLevel: 'extended',
        threadSpinning: true,
      },
      cores: 8,
    });
  });

  it('treats empty variables as unset', () => {
    const config = loadModelRuntimeConfig({ HF_TOKEN: '', HF_HUB_OFFLINE: '', MODEL_S3_BUCKET: '', S3_ENDPOINT: '' }, '/srv/app');

    expect(config.store).toMatchObject({ offline: false, s3: undefined, hub: { accessToken: undefined } });
  });

  it('names every invalid variable at once', () => {
    const load = () =>
      loadModelRuntimeConfig({
        HF_TOKEN: 'abc',
        HF_HUB_OFFLINE: 'maybe',
        S3_ENDPOINT: 'minio:9000',
        AWS_ACCESS_KEY_ID: 'only-the-id',
        MODEL_INTRA_OP_THREADS: '0',
        MODEL_INFERENCE_THREADS: '-1',
        MODEL_GRAPH_OPTIMIZATION: 'max',
        MODEL_CUDA_ARENA_EXTEND_STRATEGY: 'sometimes',
      });

    expect(load).toThrow(ModelRuntimeConfigError);
    let message = '';
    try {
      load();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const variable of [
      'HF_TOKEN',
      'HF_HUB_OFFLINE',
      'S3_ENDPOINT',
      'AWS_SECRET_ACCESS_KEY',
      'MODEL_INTRA_OP_THREADS',
      'MODEL_INFERENCE_THREADS',
      'MODEL_GRAPH_OPTIMIZATION',
      'MODEL_CUDA_ARENA_EXTEND_STRATEGY',
    ]) {
      expect(message).toContain(variable);
    }
    expect(message).toContain('a Hugging Face token starts with "hf_"');
  });
});
