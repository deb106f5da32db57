import { createHmac } from 'node:crypto';
import { readinessSecretFor, workerEnvironment } from '@switchyard/deployments';
import type { DeployOperation } from '@switchyard/shared';

const operation = (cache: DeployOperation['cache'], task = 'text-to-image'): DeployOperation => ({
  operation: 'deploy',
  deployment_id: 'dep_2026_0123abcd',
  model_id: 'stabilityai/sd-turbo',
  endpoint: 'generator',
  worker_app: 'generator',
  task,
  cache,
  sealed_runpod_api_key: 'sealed',
  created_at: '2026-12-02T00:00:00.000Z',
});
const settings = { readinessUrl: 'https://sy.example.com/v1/deployments/dep_2026_0123abcd/ready', readinessSecret: 'whsec_x' };

describe('a deployed worker’s environment', () => {
  it('runs the worker app in RunPod mode on the one queue, with its model and readiness callback', () => {
    expect(workerEnvironment(operation({ scope: 'off' }), { hfToken: 'hf_token' }, settings)).toEqual({
      WORKER_MODE: 'runpod',
      WORKER_APP: 'generator',
      WORKER_QUEUES: 'generator',
      GENERATOR_MODEL_REPO: 'stabilityai/sd-turbo',
      SWITCHYARD_DEPLOYMENT_ID: 'dep_2026_0123abcd',
      SWITCHYARD_READY_URL: settings.readinessUrl,
      SWITCHYARD_READY_SECRET: 'whsec_x',
      LOG_LEVEL: 'info',
      HF_TOKEN: 'hf_token',
    });
  });

  it('names each task’s model in the variable its worker app reads', () => {
    expect(workerEnvironment(operation({ scope: 'off' }, 'feature-extraction'), {}, settings).EMBEDDER_MINILM_REPO).toBe('stabilityai/sd-turbo');
    expect(workerEnvironment(operation({ scope: 'off' }, 'zero-shot-image-classification'), {}, settings).EMBEDDER_CLIP_REPO).toBe('stabilityai/sd-turbo');
    expect(() => workerEnvironment(operation({ scope: 'off' }, 'text-to-video'), {}, settings)).toThrow('text-to-video');
  });

  it('points the model store at the cache, with its keys only when there are some', () => {
    const cache = { scope: 'private' as const, bucket: 'team', prefix: 'models/project-a', region: 'auto', endpointUrl: 'https://r2.example.com' };
    const withKeys = workerEnvironment(operation(cache), { cacheAccessKeyId: 'AKIA', cacheSecretAccessKey: 'secret' }, settings);
    expect(withKeys).toMatchObject({
      MODEL_S3_BUCKET: 'team',
      MODEL_S3_PREFIX: 'models/project-a',
      S3_REGION: 'auto',
      S3_ENDPOINT: 'https://r2.example.com',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const shared = workerEnvironment(operation({ ...cache, scope: 'shared', endpointUrl: undefined }), {}, settings);
    expect(shared).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
    expect(shared).not.toHaveProperty('S3_ENDPOINT');
    expect(workerEnvironment(operation({ scope: 'off' }), {}, settings)).not.toHaveProperty('MODEL_S3_BUCKET');
  });

  it('derives each deployment’s readiness secret from JOB_SECRETS_KEY and its id alone', () => {
    const key = Buffer.alloc(32, 9);
    const expected = `whsec_${createHmac('sha256', key).update('switchyard deployment readiness:dep_2026_0123abcd').digest('base64')}`;
    expect(readinessSecretFor(key, 'dep_2026_0123abcd')).toBe(expected);
    expect(readinessSecretFor(key, 'dep_2026_0123abce')).not.toBe(expected);
  });
});
