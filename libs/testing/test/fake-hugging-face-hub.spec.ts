import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubApiError, checkRepoAccess, downloadFile, fileDownloadInfo, fileExists, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { FakeHuggingFaceHub, readSafetensorsHeader, safetensorsFile } from '@switchyard/testing';

const REPO = 'acme/encoder';
const WEIGHTS_REPO = 'acme/weights';
const GATED = 'acme/gated';
const PRIVATE = 'acme/private';
const HUGE = 'acme/huge';
const GRANTED = 'hf_granted';
const WEIGHTS = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
const CONFIG = Buffer.from('{"hidden_size": 8}');

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const gitBlobId = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

let root: string;
let hub: FakeHuggingFaceHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fake-hub-'));
  await mkdir(join(root, REPO, 'onnx'), { recursive: true });
  await writeFile(join(root, REPO, 'onnx', 'model.onnx'), WEIGHTS);
  await writeFile(join(root, REPO, 'config.json'), CONFIG);
  await mkdir(join(root, WEIGHTS_REPO, 'unet'), { recursive: true });
  await writeFile(join(root, WEIGHTS_REPO, 'model_index.json'), '{"_class_name": "StableDiffusionPipeline"}');
  await writeFile(
    join(root, WEIGHTS_REPO, 'model.safetensors'),
    safetensorsFile(
      { embed: { dtype: 'BF16', shape: [4, 8] }, norm: { dtype: 'F32', shape: [10] }, ids: { dtype: 'I64', shape: [3, 2, 1] } },
      { format: 'pt' },
    ),
  );
  await writeFile(join(root, WEIGHTS_REPO, 'head.safetensors'), safetensorsFile({ head: { dtype: 'BF16', shape: [5] } }));
  // Not top-level: the Hub's safetensors summary leaves subfolders out.
  await writeFile(join(root, WEIGHTS_REPO, 'unet', 'diffusion_pytorch_model.safetensors'), safetensorsFile({ conv: { dtype: 'F16', shape: [100] } }));
  for (const repo of [GATED, PRIVATE]) {
    await mkdir(join(root, repo), { recursive: true });
    await writeFile(join(root, repo, 'config.json'), CONFIG);
  }
  hub = await FakeHuggingFaceHub.start({
    reposDir: root,
    repoSettings: {
      [GATED]: { gated: 'manual', grantedTokens: [GRANTED], pipelineTag: 'text-to-image' },
      [PRIVATE]: { private: true, grantedTokens: [GRANTED] },
      [HUGE]: { pipelineTag: 'text-to-image', library: 'diffusers', safetensorsParameters: { BF16: 12e9 } },
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

describe('FakeHuggingFaceHub, driven by @huggingface/hub', () => {
  it('answers model info with the commit sha and the files', async () => {
    const info = await modelInfo({ name: REPO, hubUrl: hub.url, additionalFields: ['sha', 'filePaths'] });

    expect(info.name).toBe(REPO);
    expect(info.sha).toBe(await hub.commitOf(REPO));
    expect(info.filePaths).toEqual(['config.json', 'onnx/model.onnx']);
  });

  it('lists the tree and describes paths, with LFS details for weight files', async () => {
    const tree = [];
    for await (const entry of listFiles({ repo: REPO, hubUrl: hub.url, recursive: true })) tree.push(entry);
    const infos = await pathsInfo({ repo: REPO, hubUrl: hub.url, paths: ['config.json', 'onnx/model.onnx', 'missing.txt'] });

    expect(tree.map((entry) => [entry.type, entry.path])).toEqual([
      ['file', 'config.json'],
      ['directory', 'onnx'],
      ['file', 'onnx/model.onnx'],
    ]);
    expect(infos).toEqual([
      expect.objectContaining({ path: 'config.json', type: 'file', size: CONFIG.length, oid: gitBlobId(CONFIG), lfs: undefined }),
      expect.objectContaining({
        path: 'onnx/model.onnx',
        type: 'file',
        size: WEIGHTS.length,
        lfs: expect.objectContaining({ oid: sha256(WEIGHTS), size: WEIGHTS.length }),
      }),
    ]);
  });

  it('serves files whole, by range, and as raw LFS pointers', async () => {
    const info = await fileDownloadInfo({ repo: REPO, path: 'onnx/model.onnx', hubUrl: hub.url });
    const blob = await downloadFile({ repo: REPO, path: 'onnx/model.onnx', hubUrl: hub.url, xet: false });
    const pointer = await downloadFile({ repo: REPO, path: 'onnx/model.onnx', hubUrl: hub.url, raw: true, xet: false });

    expect(info).toMatchObject({ size: WEIGHTS.length, etag: `"${sha256(WEIGHTS)}"` });
    expect(Buffer.from(await blob!.arrayBuffer()).equals(WEIGHTS)).toBe(true);
    expect(Buffer.from(await blob!.slice(100, 200).arrayBuffer()).equals(WEIGHTS.subarray(100, 200))).toBe(true);
    expect(hub.requests.filter((request) => request.range === 'bytes=100-199')).toHaveLength(1);
    expect(await pointer!.text()).toContain(`oid sha256:${sha256(WEIGHTS)}`);
    expect(await fileExists({ repo: REPO, path: 'config.json', hubUrl: hub.url })).toBe(true);
    expect(await fileExists({ repo: REPO, path: 'nope.json', hubUrl: hub.url })).toBe(false);
    expect(await downloadFile({ repo: REPO, path: 'nope.json', hubUrl: hub.url })).toBeNull();
  });

  it('answers 404 for unknown repos and revisions, and 401 without the required token', async () => {
    await expect(modelInfo({ name: 'acme/none', hubUrl: hub.url })).rejects.toMatchObject({ statusCode: 404 });
    await expect(modelInfo({ name: REPO, hubUrl: hub.url, revision: 'v2' })).rejects.toMatchObject({ statusCode: 404 });

    hub.accessToken = 'hf_token';
    hub.clearRequests();
    await expect(modelInfo({ name: REPO, hubUrl: hub.url })).rejects.toThrow(HubApiError);
    await expect(modelInfo({ name: REPO, hubUrl: hub.url })).rejects.toMatchObject({ statusCode: 401 });
    await expect(modelInfo({ name: REPO, hubUrl: hub.url, accessToken: 'hf_token' })).resolves.toMatchObject({ name: REPO });
    expect(hub.requests.map((request) => request.authorization)).toEqual([undefined, undefined, 'Bearer hf_token']);
  });

  it('cuts the next download of a file off when asked, once', async () => {
    hub.interruptNextDownload({ file: 'onnx/model.onnx', afterBytes: 1000 });
    hub.interruptNextDownload({ file: 'onnx/model.onnx', afterBytes: 1000, mode: 'truncate' });
    const url = `${hub.url}/${REPO}/resolve/main/onnx/model.onnx`;

    await expect(fetch(url).then((response) => response.arrayBuffer())).rejects.toThrow('terminated');
    const truncated = await fetch(url).then((response) => response.arrayBuffer());
    const whole = await fetch(url).then((response) => response.arrayBuffer());

    expect(truncated.byteLength).toBe(1000);
    expect(whole.byteLength).toBe(WEIGHTS.length);
  });

  it('writes safetensors files whose header reads back', async () => {
    const header = await readSafetensorsHeader(join(root, WEIGHTS_REPO, 'model.safetensors'));

    expect(header).toEqual({
      embed: { dtype: 'BF16', shape: [4, 8], data_offsets: [0, 64] },
      norm: { dtype: 'F32', shape: [10], data_offsets: [64, 104] },
      ids: { dtype: 'I64', shape: [3, 2, 1], data_offsets: [104, 152] },
    });
  });

  it('answers model info with parameter counts by dtype from the top-level safetensors headers, the library and tags', async () => {
    const info = await modelInfo({ name: WEIGHTS_REPO, hubUrl: hub.url, additionalFields: ['safetensors', 'library_name', 'tags', 'sha'] });

    // BF16: 4×8 + 5 = 37; F32: 10; I64: 3×2×1 = 6; the unet's F16 tensor is in a subfolder
    expect(info.safetensors).toEqual({ parameters: { BF16: 37, F32: 10, I64: 6 }, total: 53 });
    expect(info.library_name).toBe('diffusers');
    expect(info.tags).toEqual(['diffusers', 'safetensors', 'diffusers:StableDiffusionPipeline']);
    expect(info.sha).toBe(await hub.commitOf(WEIGHTS_REPO));
    expect(info.task).toBeUndefined();
  });

  it('answers /api/models/{repo} with only the fields expand[] names', async () => {
    const response = await fetch(`${hub.url}/api/models/${HUGE}?expand[]=safetensors&expand[]=pipeline_tag`);

    expect(response.status).toBe(200);
    expect(Object.keys((await response.json()) as object).sort()).toEqual(['_id', 'id', 'pipeline_tag', 'safetensors']);
    await expect(modelInfo({ name: HUGE, hubUrl: hub.url, additionalFields: ['safetensors'] })).resolves.toMatchObject({
      task: 'text-to-image',
      safetensors: { parameters: { BF16: 12e9 }, total: 12e9 },
    });
    await expect(checkRepoAccess({ repo: HUGE, hubUrl: hub.url })).resolves.toBeUndefined();
  });

  it('shows a gated repo’s metadata to anyone but serves its files only to granted tokens', async () => {
    const file = `${hub.url}/${GATED}/resolve/main/config.json`;
    const anonymous = await fetch(file);
    const ungranted = await fetch(file, { headers: { Authorization: 'Bearer hf_other' } });

    await expect(modelInfo({ name: GATED, hubUrl: hub.url })).resolves.toMatchObject({ gated: 'manual', task: 'text-to-image' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-error-code')).toBe('GatedRepo');
    expect(ungranted.status).toBe(403);
    expect(ungranted.headers.get('x-error-code')).toBe('GatedRepo');
    expect(((await ungranted.json()) as { error: string }).error).toContain('not in the authorized list');
    await expect(fileExists({ repo: GATED, path: 'config.json', hubUrl: hub.url, accessToken: GRANTED })).resolves.toBe(true);
  });

  it('hides a private repo: 401 without a token, 404 with one not granted', async () => {
    const anonymous = await fetch(`${hub.url}/api/models/${PRIVATE}`);

    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-error-code')).toBe('RepoNotFound');
    expect(await anonymous.json()).toEqual({ error: 'Repository not found' });
    await expect(modelInfo({ name: PRIVATE, hubUrl: hub.url, accessToken: 'hf_other' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(fileDownloadInfo({ repo: PRIVATE, path: 'config.json', hubUrl: hub.url })).rejects.toMatchObject({ statusCode: 401 });
    await expect(modelInfo({ name: PRIVATE, hubUrl: hub.url, accessToken: GRANTED })).resolves.toMatchObject({ private: true });
  });
});
