import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  type DownloadProgress,
  ModelAccessDeniedError,
  ModelFetchError,
  ModelFileChecksumMismatchError,
  ModelFileMissingError,
  ModelFileSizeMismatchError,
  ModelNotCachedOfflineError,
  ModelStore,
  type ModelStoreOptions,
  UnknownModelError,
  UnsafeModelIdError,
} from '@switchyard/model-runtime';
import { FakeHuggingFaceHub, type S3Server, startS3Server } from '@switchyard/testing';

const REPO = 'acme/tiny-encoder';
const MIB = 1024 * 1024;
// model.onnx is an LFS file (verified by sha256) fetched in three ranges; config.json is a plain git file (verified by git sha1).
const MODEL_BYTES = randomBytes(2 * MIB + 12345);
const CONFIG_BYTES = Buffer.from(JSON.stringify({ hidden_size: 8, model_type: 'bert' }));
const FILES = ['model.onnx', 'config.json'];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let root: string;
let hub: FakeHuggingFaceHub;
let s3: S3Server;
let s3Client: S3Client;
const stores: ModelStore[] = [];

async function writeRepoFile(base: string, repo: string, file: string, bytes: Buffer): Promise<void> {
  const path = join(base, repo, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

const freshCacheDir = () => join(root, 'caches', randomUUID());

/** A store with a fresh cache folder, reading the fake hub and (with `withS3`) a fresh S3 prefix unless one is given. */
function makeStore(overrides: Partial<ModelStoreOptions> & { withS3?: boolean | string } = {}): ModelStore {
  const { withS3, ...options } = overrides;
  const store = new ModelStore({
    cacheDir: freshCacheDir(),
    hub: { url: hub.url },
    download: { rangeBytes: MIB, concurrency: 3 },
    s3: withS3
      ? {
          bucket: 'models',
          prefix: typeof withS3 === 'string' ? withS3 : `run-${randomUUID()}`,
          endpoint: s3.endpoint,
          region: s3.region,
          credentials: s3.credentials,
          forcePathStyle: true,
          partBytes: MIB,
        }
      : undefined,
    logger: { warn: () => undefined },
    ...options,
  });
  stores.push(store);
  return store;
}

async function filesUnder(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-store-'));
  await writeRepoFile(join(root, 'hub'), REPO, 'model.onnx', MODEL_BYTES);
  await writeRepoFile(join(root, 'hub'), REPO, 'config.json', CONFIG_BYTES);
  hub = await FakeHuggingFaceHub.start({ reposDir: join(root, 'hub') });
  s3 = await startS3Server();
  s3Client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

beforeEach(() => {
  hub.clearRequests();
  hub.accessToken = undefined;
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

afterAll(async () => {
  s3Client.destroy();
  await hub.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

describe('ModelStore from a local folder', () => {
  it('returns the files in place, without revision and without network', async () => {
    const modelDir = join(root, 'folder');
    await writeRepoFile(modelDir, 'local/test-model', 'onnx/model.onnx', Buffer.from('onnx bytes'));
    const store = makeStore({ modelDir });

    const model = await store.resolve({ repo: 'local/test-model', files: ['onnx/model.onnx'] });

    expect(model).toEqual({
      repo: 'local/test-model',
      revision: null,
      files: [{ file: 'onnx/model.onnx', path: join(modelDir, 'local/test-model/onnx/model.onnx'), size: 10, source: 'folder' }],
    });
    expect(hub.requests).toHaveLength(0);
  });

  it('refuses a model folder that lacks a requested file instead of downloading it', async () => {
    const modelDir = join(root, 'folder');
    await writeRepoFile(modelDir, REPO, 'config.json', CONFIG_BYTES);
    const store = makeStore({ modelDir });

    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(ModelFileMissingError);
    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(`Model "${REPO}" has no file "model.onnx" (looked in: folder)`);
    expect(hub.requests).toHaveLength(0);
  });
});

describe('ModelStore from the Hugging Face Hub', () => {
  it('downloads the pinned commit in verified ranges, reporting progress, into the cache', async () => {
    const store = makeStore();
    const progress: DownloadProgress[] = [];

    const model = await store.resolve({ repo: REPO, files: FILES }, { onProgress: (event) => progress.push(event) });

    const commit = await hub.commitOf(REPO);
    expect(model.revision).toBe(commit);
    expect(model.files.map(({ file, source, size }) => ({ file, source, size }))).toEqual([
      { file: 'model.onnx', source: 'hub', size: MODEL_BYTES.length },
      { file: 'config.json', source: 'hub', size: CONFIG_BYTES.length },
    ]);
    expect(sha256(await readFile(model.files[0].path))).toBe(sha256(MODEL_BYTES));
    expect(sha256(await readFile(model.files[1].path))).toBe(sha256(CONFIG_BYTES));
    expect(model.files[0].sha256).toBe(sha256(MODEL_BYTES));
    // Every download names the commit, never the branch.
    expect(hub.requestsTo('/resolve/').every((request) => request.path.includes(`/resolve/${commit}/`))).toBe(true);
    const modelRanges = hub.requestsTo('/resolve/').filter((request) => request.path.endsWith('model.onnx') && request.range !== 'bytes=0-0');
    expect(modelRanges.map((request) => request.range).sort()).toEqual(
      [`bytes=0-${MIB - 1}`, `bytes=${MIB}-${2 * MIB - 1}`, `bytes=${2 * MIB}-${MODEL_BYTES.length - 1}`].sort(),
    );
    const modelProgress = progress.filter((event) => event.file === 'model.onnx');
    expect(modelProgress[0]).toMatchObject({ bytesDone: 0, bytesTotal: MODEL_BYTES.length, source: 'hub', revision: commit });
    expect(modelProgress.at(-1)?.bytesDone).toBe(MODEL_BYTES.length);
    expect(modelProgress.every((event, index) => index === 0 || event.bytesDone >= modelProgress[index - 1].bytesDone)).toBe(true);
  });

  it('answers a second resolve from the cache without any request, even offline', async () => {
    const cacheDir = freshCacheDir();
    await makeStore({ cacheDir }).resolve({ repo: REPO, files: FILES });
    hub.clearRequests();

    const online = await makeStore({ cacheDir }).resolve({ repo: REPO, files: FILES });
    const offline = await makeStore({ cacheDir, offline: true }).resolve({ repo: REPO, revision: 'main', files: ['config.json'] });

    expect(online.files.map((file) => file.source)).toEqual(['cache', 'cache']);
    expect(offline.files[0]).toMatchObject({ source: 'cache', path: online.files[1].path });
    expect(hub.requests).toHaveLength(0);
    expect(await makeStore({ cacheDir }).listCached()).toEqual([
      expect.objectContaining({ repo: REPO, revision: online.revision, refs: ['main'], totalBytes: MODEL_BYTES.length + CONFIG_BYTES.length }),
    ]);
  });

  it('accepts a commit sha as the revision and reports an unknown revision, model or file', async () => {
    const store = makeStore();
    const commit = await hub.commitOf(REPO);

    await expect(store.resolve({ repo: REPO, revision: commit, files: ['config.json'] })).resolves.toMatchObject({ revision: commit });
    await expect(store.resolve({ repo: REPO, revision: 'v9', files: ['config.json'] })).rejects.toThrow(UnknownModelError);
    await expect(store.resolve({ repo: 'acme/nothing-here', files: ['config.json'] })).rejects.toThrow(
      /Model "acme\/nothing-here" at revision "main" was not found: the Hub at .* answered 404/,
    );
    await expect(store.resolve({ repo: REPO, files: ['tokenizer.json'] })).rejects.toThrow(ModelFileMissingError);
  });

  it('sends the access token, and says so when the Hub refuses the request', async () => {
    hub.accessToken = 'hf_secret';

    await expect(makeStore().resolve({ repo: REPO, files: ['config.json'] })).rejects.toThrow(ModelAccessDeniedError);
    const model = await makeStore({ hub: { url: hub.url, accessToken: 'hf_secret' } }).resolve({ repo: REPO, files: ['config.json'] });

    expect(model.files[0].source).toBe('hub');
    expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_secret');
  });

  it('leaves nothing behind when a download is cut off, and succeeds on the next attempt', async () => {
    const cacheDir = freshCacheDir();
    const store = makeStore({ cacheDir });
    hub.interruptNextDownload({ file: 'model.onnx', afterBytes: 1000 });

    const failure = store.resolve({ repo: REPO, files: FILES });

    await expect(failure).rejects.toThrow(ModelFetchError);
    await expect(failure).rejects.toThrow(/Could not download "model.onnx" for model "acme\/tiny-encoder" from hub/);
    expect(await filesUnder(cacheDir)).toEqual([]);
    const retry = await store.resolve({ repo: REPO, files: FILES });
    expect(sha256(await readFile(retry.files[0].path))).toBe(sha256(MODEL_BYTES));
  });

  it('rejects a download that ends short as a size mismatch', async () => {
    const cacheDir = freshCacheDir();
    const store = makeStore({ cacheDir, download: { rangeBytes: 64 * MIB, concurrency: 1 } });
    hub.interruptNextDownload({ file: 'model.onnx', afterBytes: 5000, mode: 'truncate' });

    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(ModelFileSizeMismatchError);
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('downloads once for concurrent resolves of the same files', async () => {
    const store = makeStore();

    const models = await Promise.all(Array.from({ length: 5 }, () => store.resolve({ repo: REPO, files: FILES })));

    expect(new Set(models.map((model) => model.files[0].path)).size).toBe(1);
    expect(hub.requestsTo('/revision/')).toHaveLength(1);
    expect(hub.requestsTo('/paths-info/')).toHaveLength(1);
    const fullDownloads = hub.requestsTo('/resolve/').filter((request) => request.range !== 'bytes=0-0');
    expect(fullDownloads).toHaveLength(3 + 1);
  });

  it('stops a download whose caller gives up, removing the partial file', async () => {
    const cacheDir = freshCacheDir();
    const store = makeStore({ cacheDir, download: { rangeBytes: 64 * 1024, concurrency: 1 } });
    const controller = new AbortController();

    const resolving = store.resolve(
      { repo: REPO, files: FILES },
      { signal: controller.signal, onProgress: (event) => event.bytesDone > 0 && controller.abort(new Error('caller gave up')) },
    );

    await expect(resolving).rejects.toThrow('caller gave up');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await filesUnder(cacheDir)).toEqual([]);
  });
});

describe('ModelStore with an S3 cache', () => {
  it('writes Hub downloads back to S3, from which a fresh offline cache then resolves', async () => {
    const prefix = `shared-${randomUUID()}`;
    const first = await makeStore({ withS3: prefix }).resolve({ repo: REPO, files: FILES });
    hub.clearRequests();

    const second = await makeStore({ withS3: prefix, offline: true }).resolve({ repo: REPO, files: FILES });

    expect(first.files.map((file) => file.source)).toEqual(['hub', 'hub']);
    expect(second.revision).toBe(first.revision);
    expect(second.files.map((file) => file.source)).toEqual(['s3', 's3']);
    expect(sha256(await readFile(second.files[0].path))).toBe(sha256(MODEL_BYTES));
    expect(sha256(await readFile(second.files[1].path))).toBe(sha256(CONFIG_BYTES));
    expect(hub.requests).toHaveLength(0);
    const marker = await s3Client.send(new GetObjectCommand({ Bucket: 'models', Key: `${prefix}/models--acme--tiny-encoder/markers/${first.revision}.json` }));
    expect(JSON.parse(await marker.Body!.transformToString())).toMatchObject({
      repo: REPO,
      revision: first.revision,
      files: {
        'model.onnx': { size: MODEL_BYTES.length, sha256: sha256(MODEL_BYTES) },
        'config.json': { size: CONFIG_BYTES.length, sha256: sha256(CONFIG_BYTES) },
      },
    });
  });

  async function tamperWithMarker(prefix: string, revision: string, change: (marker: { files: Record<string, { size: number; sha256: string }> }) => void) {
    const key = `${prefix}/models--acme--tiny-encoder/markers/${revision}.json`;
    const marker = JSON.parse(await (await s3Client.send(new GetObjectCommand({ Bucket: 'models', Key: key }))).Body!.transformToString());
    change(marker);
    await s3Client.send(new PutObjectCommand({ Bucket: 'models', Key: key, Body: JSON.stringify(marker) }));
  }

  it('rejects an S3 object whose sha256 differs from its marker, keeping nothing', async () => {
    const prefix = `bad-sum-${randomUUID()}`;
    const { revision } = await makeStore({ withS3: prefix }).resolve({ repo: REPO, files: FILES });
    await tamperWithMarker(prefix, revision!, (marker) => {
      marker.files['model.onnx'].sha256 = '0'.repeat(64);
    });
    const cacheDir = freshCacheDir();
    const store = makeStore({ cacheDir, withS3: prefix, offline: true });

    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(ModelFileChecksumMismatchError);
    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(
      `File "model.onnx" of model "${REPO}" at revision "${revision}" from s3 has sha256 ${sha256(MODEL_BYTES)}, expected ${'0'.repeat(64)}`,
    );
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('rejects an S3 object shorter than its marker says as a truncated download', async () => {
    const prefix = `bad-size-${randomUUID()}`;
    const { revision } = await makeStore({ withS3: prefix }).resolve({ repo: REPO, files: FILES });
    await tamperWithMarker(prefix, revision!, (marker) => {
      marker.files['model.onnx'].size = MODEL_BYTES.length + 2 * MIB;
    });

    await expect(makeStore({ withS3: prefix, offline: true }).resolve({ repo: REPO, files: FILES })).rejects.toThrow(ModelFileSizeMismatchError);
  });

  it('falls back to the Hub when the S3 cache is unreachable, and says so', async () => {
    const warnings: string[] = [];
    const store = makeStore({
      s3: { bucket: 'models', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: s3.credentials, forcePathStyle: true },
      logger: { warn: (_details, message) => warnings.push(message) },
    });

    const model = await store.resolve({ repo: REPO, files: ['config.json'] });

    expect(model.files[0].source).toBe('hub');
    expect(warnings).toContain('The S3 model cache could not be read; skipping it');
    expect(warnings).toContain('Could not write the model back to the S3 cache');
  });
});

describe('ModelStore offline', () => {
  it('refuses a model that is not cached without contacting the Hub', async () => {
    const store = makeStore({ offline: true });

    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(ModelNotCachedOfflineError);
    await expect(store.resolve({ repo: REPO, files: FILES })).rejects.toThrow(
      `Model "${REPO}" at revision "main" is not cached (missing: model.onnx, config.json) and offline mode forbids contacting the Hugging Face Hub`,
    );
    expect(hub.requests).toHaveLength(0);
  });
});

describe('ModelStore model ids', () => {
  it.each([
    [{ repo: '../etc', files: ['passwd'] }, 'Refusing model id "../etc": it contains a ".." segment'],
    [{ repo: '/abs/model', files: ['a'] }, 'Refusing model id "/abs/model": it is an absolute path'],
    [{ repo: 'acme\\model', files: ['a'] }, 'Refusing model id "acme\\\\model": it contains a backslash'],
    [{ repo: 'acme//model', files: ['a'] }, 'it contains an empty path segment'],
    [{ repo: 'a/b/c', files: ['a'] }, 'a model id is "name" or "owner/name"'],
    [{ repo: REPO, files: ['../../config.json'] }, `Refusing file "../../config.json" of model "${REPO}": it contains a ".." segment`],
    [{ repo: REPO, files: ['/etc/passwd'] }, 'it is an absolute path'],
    [{ repo: REPO, files: ['onnx//model.onnx'] }, 'it contains an empty path segment'],
    [{ repo: REPO, revision: '../main', files: ['a'] }, `Refusing revision "../main" of model "${REPO}": it contains a ".." segment`],
  ])('refuses %j', async (ref, message) => {
    const store = makeStore();

    const resolving = store.resolve(ref);

    await expect(resolving).rejects.toThrow(UnsafeModelIdError);
    await expect(resolving).rejects.toThrow(message);
    expect(hub.requests).toHaveLength(0);
  });
});
