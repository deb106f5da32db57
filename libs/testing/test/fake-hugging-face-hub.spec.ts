import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubApiError, downloadFile, fileDownloadInfo, fileExists, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { FakeHuggingFaceHub } from '@switchyard/testing';

const REPO = 'acme/encoder';
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
  hub = await FakeHuggingFaceHub.start({ reposDir: root });
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
});
