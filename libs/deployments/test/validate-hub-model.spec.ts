import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DeploymentRequestError,
  HubUnavailableError,
  ModelAccessDeniedError,
  ModelGatedError,
  ModelNotFoundError,
  TaskMismatchError,
  UnsupportedTaskError,
  deploymentTargetOf,
  estimateVram,
  validateHubModel,
} from '@switchyard/deployments';
import { FakeHuggingFaceHub, safetensorsFile } from '@switchyard/testing';

const GRANTED = 'hf_granted_token';
const OTHER = 'hf_other_token';

const REPOS: Record<string, Record<string, string | Buffer>> = {
  'acme/mini-embedder': {
    'config.json': '{"model_type": "bert"}',
    'config_sentence_transformers.json': '{}',
    'model.safetensors': safetensorsFile({
      'embeddings.weight': { dtype: 'BF16', shape: [2, 3, 4] },
      'pooler.bias': { dtype: 'F32', shape: [7] },
      'encoder.weight': { dtype: 'F16', shape: [5, 5] },
      position_ids: { dtype: 'I64', shape: [2] },
      'quantized.weight': { dtype: 'U8', shape: [8] },
    }),
  },
  'acme/flux-mini': { 'model_index.json': '{"_class_name": "FluxPipeline", "_diffusers_version": "0.30.0"}' },
  'acme/wan-mini': { 'model_index.json': '{"_class_name": "WanPipeline"}' },
  'acme/custom-pipeline': { 'model_index.json': '{"_class_name": "MyOwnPipeline"}' },
  'acme/detector': { 'config.json': '{}' },
  'acme/clip': { 'config.json': '{}' },
  'acme/mystery': { 'weights.bin': 'x' },
  'acme/gated': { 'config.json': '{}', 'model_index.json': '{"_class_name": "StableDiffusionPipeline"}' },
  'acme/private': { 'config.json': '{}' },
};

let root: string;
let hub: FakeHuggingFaceHub;

const validate = (modelId: string, options: { hfToken?: string; task?: string } = {}) => validateHubModel({ modelId, hubUrl: hub.url, ...options });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'validate-hub-'));
  for (const [repo, files] of Object.entries(REPOS)) {
    for (const [file, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, repo, file)), { recursive: true });
      await writeFile(join(root, repo, file), content);
    }
  }
  hub = await FakeHuggingFaceHub.start({
    reposDir: root,
    repoSettings: {
      'acme/detector': { pipelineTag: 'text-classification', library: 'transformers' },
      'acme/clip': { pipelineTag: 'zero-shot-image-classification', library: 'transformers' },
      'acme/gated': { gated: 'manual', grantedTokens: [GRANTED] },
      'acme/private': { private: true, grantedTokens: [GRANTED], pipelineTag: 'image-classification' },
      'acme/huge': { pipelineTag: 'text-to-image', library: 'diffusers', safetensorsParameters: { BF16: 12e9 } },
    },
  });
});

beforeEach(() => {
  hub.accessToken = undefined;
  hub.clearRequests();
});

afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

describe('validateHubModel', () => {
  it('reads the parameter counts by dtype from the safetensors header, and the task from the library', async () => {
    const model = await validate('acme/mini-embedder');

    expect(model).toEqual({
      modelId: 'acme/mini-embedder',
      sha: await hub.commitOf('acme/mini-embedder'),
      task: 'feature-extraction',
      taskSource: 'library',
      library: 'sentence-transformers',
      gated: false,
      private: false,
      // BF16 2×3×4 = 24, F32 7, F16 5×5 = 25, I64 2, U8 8; 24 + 7 + 25 + 2 + 8 = 66
      safetensorsParameters: { BF16: 24, F32: 7, F16: 25, I64: 2, U8: 8 },
      parameterCount: 66,
    });
    // 24×2 + 7×4 + 25×2 + 2×8 + 8×1 = 48 + 28 + 50 + 16 + 8 = 150 bytes
    expect(estimateVram({ id: model.modelId, ...model })).toMatchObject({ source: 'safetensors', weightBytes: 150, gb: 6 });
    expect(deploymentTargetOf(model.task)).toEqual({ task: 'feature-extraction', endpoint: 'embedder', workerApp: 'embedder' });
  });

  it('takes the task from a diffusers model_index.json when there is no pipeline tag', async () => {
    await expect(validate('acme/flux-mini')).resolves.toMatchObject({ task: 'text-to-image', taskSource: 'model_index.json', library: 'diffusers' });
    expect(hub.requestsTo('/model_index.json')).not.toHaveLength(0);
  });

  it('prefers the pipeline class to the library: a diffusers video pipeline is not an image generator', async () => {
    const error = await rejection(validate('acme/wan-mini'));

    expect(error).toBeInstanceOf(UnsupportedTaskError);
    expect(error).toMatchObject({ field: 'hf_model_id', task: 'text-to-video' });
    expect(error.message).toMatch(
      /^model "acme\/wan-mini" is a text-to-video model \(from its model_index.json\), which Switchyard does not serve; supported tasks: text-to-image, /,
    );
  });

  it('falls back to the library for a pipeline class it does not know', async () => {
    await expect(validate('acme/custom-pipeline')).resolves.toMatchObject({ task: 'text-to-image', taskSource: 'library', library: 'diffusers' });
  });

  it('prefers the pipeline tag to everything else, without reading files', async () => {
    const model = await validate('acme/detector');

    expect(model).toMatchObject({ task: 'text-classification', taskSource: 'pipeline_tag', pipelineTag: 'text-classification', library: 'transformers' });
    expect(deploymentTargetOf(model.task)).toEqual({ task: 'text-classification', endpoint: 'text-detector', workerApp: 'detector-worker' });
    expect(hub.requests.map(({ path }) => path)).toEqual(['/api/models/acme/detector/revision/HEAD']);
  });

  it('carries the safetensors counts the Hub reports for a model too large to have files here', async () => {
    const model = await validate('acme/huge');

    // 12e9 × 2 B = 24e9 B = 22.35 GiB × 1.35 = 30.17 GiB → 40 GB
    expect(estimateVram({ id: model.modelId, ...model })).toMatchObject({ gb: 40, weightBytes: 24e9 });
  });

  describe('the requested task', () => {
    it('is taken when the model fits it: a CLIP model gives feature-extraction embeddings', async () => {
      await expect(validate('acme/clip', { task: 'feature-extraction' })).resolves.toMatchObject({
        task: 'feature-extraction',
        pipelineTag: 'zero-shot-image-classification',
      });
    });

    it('is refused when the model does something else', async () => {
      const error = await rejection(validate('acme/clip', { task: 'text-to-image' }));

      expect(error).toBeInstanceOf(TaskMismatchError);
      expect(error).toMatchObject({
        field: 'task',
        message: 'task "text-to-image" does not fit model "acme/clip", a zero-shot-image-classification model (from its pipeline_tag)',
      });
    });

    it('is refused before asking the Hub when Switchyard does not serve it', async () => {
      const error = await rejection(validate('acme/wan-mini', { task: 'text-to-video' }));

      expect(error).toBeInstanceOf(UnsupportedTaskError);
      expect(error).toMatchObject({ field: 'task', task: 'text-to-video' });
      expect(error.message).toContain(
        'supported tasks: text-to-image, feature-extraction, sentence-similarity, zero-shot-image-classification, text-classification, image-classification',
      );
      expect(hub.requests).toHaveLength(0);
    });

    it('says what the model is when nothing tells, and is needed then', async () => {
      const error = await rejection(validate('acme/mystery'));

      expect(error).toBeInstanceOf(UnsupportedTaskError);
      expect(error).toMatchObject({ field: 'task', task: undefined });
      await expect(validate('acme/mystery', { task: 'text-to-image' })).resolves.toMatchObject({ task: 'text-to-image', taskSource: 'request' });
    });
  });

  describe('access', () => {
    it('calls a model the Hub does not have not found', async () => {
      const error = await rejection(validate('acme/missing'));

      expect(error).toBeInstanceOf(ModelNotFoundError);
      expect(error).toMatchObject({ field: 'hf_model_id', message: 'model "acme/missing" was not found on the Hub' });
    });

    it('asks for a token for a private model, and reads it with a granted one', async () => {
      const anonymous = await rejection(validate('acme/private'));
      const ungranted = await rejection(validate('acme/private', { hfToken: OTHER }));

      expect(anonymous).toBeInstanceOf(ModelNotFoundError);
      expect(anonymous.message).toBe('model "acme/private" was not found on the Hub, or it is private: pass hf_token of an account that can read it');
      expect(ungranted).toBeInstanceOf(ModelNotFoundError);
      expect(ungranted.message).toBe('model "acme/private" was not found on the Hub, or it is private and hf_token cannot read it');
      await expect(validate('acme/private', { hfToken: GRANTED })).resolves.toMatchObject({ private: true, task: 'image-classification' });
    });

    it('sends to the page of a gated model without a token, without a download', async () => {
      const error = await rejection(validate('acme/gated'));

      expect(error).toBeInstanceOf(ModelGatedError);
      expect(error).toMatchObject({
        field: 'hf_token',
        message: `model "acme/gated" is gated: accept its conditions at ${hub.url}/acme/gated and pass hf_token of an account that has access`,
      });
      expect(hub.requestsTo('/resolve/')).toHaveLength(0);
    });

    it('tells a token without access to a gated model from one with it', async () => {
      const error = await rejection(validate('acme/gated', { hfToken: OTHER }));

      expect(error).toBeInstanceOf(ModelGatedError);
      expect(error.message).toBe(`hf_token has no access to gated model "acme/gated": request access at ${hub.url}/acme/gated with the token's account`);
      expect(error.message).not.toContain(OTHER);
      await expect(validate('acme/gated', { hfToken: GRANTED })).resolves.toMatchObject({
        gated: 'manual',
        task: 'text-to-image',
        taskSource: 'model_index.json',
      });
    });

    it('reads a 403 on a gated model as no access, even from a mirror that drops the error code', async () => {
      const withoutErrorCodes: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        const headers = new Headers(response.headers);
        headers.delete('X-Error-Code');
        return new Response(await response.arrayBuffer(), { status: response.status, headers });
      };

      const error = await rejection(validateHubModel({ modelId: 'acme/gated', hubUrl: hub.url, hfToken: OTHER, fetch: withoutErrorCodes }));

      expect(error).toBeInstanceOf(ModelGatedError);
      expect(error).toMatchObject({ withToken: true });
    });

    it('says when the Hub refuses the token itself', async () => {
      hub.accessToken = 'hf_the_only_valid_token';

      const error = await rejection(validate('acme/detector', { hfToken: OTHER }));

      expect(error).toBeInstanceOf(ModelAccessDeniedError);
      expect(error).toMatchObject({ field: 'hf_token' });
      expect(error.message).not.toContain(OTHER);
    });

    it('refuses a token that is not a Hugging Face token without sending it anywhere', async () => {
      const error = await rejection(validate('acme/detector', { hfToken: 'sk-not-a-hub-token' }));

      expect(error).toBeInstanceOf(ModelAccessDeniedError);
      expect(error.message).not.toContain('sk-not-a-hub-token');
      expect(hub.requests).toHaveLength(0);
    });
  });

  describe('model ids', () => {
    it.each([
      'gpt2',
      'a/b/c',
      '-acme/model',
      'acme/model-',
      'acme/.model',
      'acme/mo--del',
      'acme/mo..del',
      'acme/model.git',
      'acme/mo del',
      'acme/',
      `acme/${'x'.repeat(92)}`,
    ])('refuses %j before asking the Hub', async (modelId) => {
      const error = await rejection(validate(modelId));

      expect(error.name).toBe('InvalidModelIdError');
      expect(error).toMatchObject({ field: 'hf_model_id' });
      expect(hub.requests).toHaveLength(0);
    });

    it.each(['stabilityai/stable-diffusion-3.5-large', 'PixArt-alpha/PixArt-Sigma-XL-2-1024-MS', 'a_b/c.d', `acme/${'x'.repeat(91)}`])(
      'accepts %j',
      async (modelId) => {
        const error = await rejection(validate(modelId));

        expect(error).toBeInstanceOf(ModelNotFoundError);
      },
    );
  });

  describe('when the Hub cannot answer', () => {
    let silent: Server;
    let silentUrl: string;

    beforeAll(async () => {
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('says so on a 5xx or 429, which is not the request’s fault', async () => {
      for (const status of [503, 429]) {
        const unavailable: typeof fetch = async () =>
          new Response(JSON.stringify({ error: 'overloaded' }), { status, headers: { 'Content-Type': 'application/json' } });

        const error = await rejection(validateHubModel({ modelId: 'acme/detector', hubUrl: hub.url, hfToken: GRANTED, fetch: unavailable }));

        expect(error).toBeInstanceOf(HubUnavailableError);
        expect(error).not.toBeInstanceOf(DeploymentRequestError);
        expect(error.message).toContain(`it answered ${status}`);
        expect(error.message).not.toContain(GRANTED);
      }
    });

    it('says so when the connection fails', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((resolve) => closed.close(resolve));

      await expect(validateHubModel({ modelId: 'acme/detector', hubUrl: closedUrl })).rejects.toThrow(HubUnavailableError);
    });

    it('gives up after the timeout', async () => {
      const error = await rejection(validateHubModel({ modelId: 'acme/detector', hubUrl: silentUrl, timeoutMs: 100 }));

      expect(error).toBeInstanceOf(HubUnavailableError);
      expect(error.message).toBe('the Hugging Face Hub could not be asked about "acme/detector": it did not answer in time');
    });
  });
});
