import { resolve } from 'node:path';
import { ModelRuntimeConfigError, loadModelRuntimeConfig } from '@switchyard/model-runtime';

describe('loadModelRuntimeConfig', () => {
  it('has defaults that need no environment at all', () => {
    expect(loadModelRuntimeConfig({}, '/srv/app')).toEqual({
      store: {
        cacheDir: '/srv/app/.switchyard/models',
        modelDir: undefined,
        hub: { url: 'https://huggingface.co', accessToken: undefined },
        offline: false,
        s3: undefined,
      },
      sessions: { executionProviders: ['cpu'], intraOpNumThreads: undefined, interOpNumThreads: undefined, graphOptimizationLevel: undefined },
    });
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
      },
      '/srv/app',
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
      sessions: { executionProviders: ['cuda', 'cpu'], intraOpNumThreads: 4, interOpNumThreads: 2, graphOptimizationLevel: 'extended' },
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
        MODEL_GRAPH_OPTIMIZATION: 'max',
      });

    expect(load).toThrow(ModelRuntimeConfigError);
    let message = '';
    try {
      load();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const variable of ['HF_TOKEN', 'HF_HUB_OFFLINE', 'S3_ENDPOINT', 'AWS_SECRET_ACCESS_KEY', 'MODEL_INTRA_OP_THREADS', 'MODEL_GRAPH_OPTIMIZATION']) {
      expect(message).toContain(variable);
    }
    expect(message).toContain('a Hugging Face token starts with "hf_"');
  });
});
