import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readSafetensorsHeader, tensorElements } from './safetensors-file';

export interface FakeHubOptions {
  /** Repositories laid out as `<reposDir>/<owner>/<name>/<file>` (or `<reposDir>/<name>/<file>`). */
  reposDir: string;
  /** When set, every request must carry `Authorization: Bearer <accessToken>` or gets 401. */
  accessToken?: string;
  /** What the Hub knows about repos beyond their files, by repo id; a repo listed here needs no directory. */
  repoSettings?: Record<string, FakeRepoSettings>;
}

export interface FakeRepoSettings {
  /** Gated repos list their files to anyone but serve them only to granted tokens: 401 without a token, 403 with another. */
  gated?: 'auto' | 'manual';
  /** Private repos answer only granted tokens: 401 without a token, 404 with another. */
  private?: boolean;
  pipelineTag?: string;
  /** The Hub's `library_name`; inferred from the files when left out (model_index.json: diffusers, …). */
  library?: string;
  /** Stands in for the parameter counts of the top-level .safetensors files, for large models the test cannot write. */
  safetensorsParameters?: Record<string, number>;
  /** Bearer tokens that may read a gated or private repo. */
  grantedTokens?: string[];
}

export interface FakeHubRequest {
  method: string;
  /** URL path without the query string, still percent-encoded. */
  path: string;
  range?: string;
  authorization?: string;
}

export interface DownloadInterruption {
  /** Path of the file inside its repo, e.g. `onnx/model.onnx`. */
  file: string;
  /** Bytes of the body sent before the interruption. */
  afterBytes: number;
  /**
   * `reset` (default) announces the full length and then closes the connection mid-body: the client
   * sees a network error. `truncate` sends a chunked body that ends early but cleanly: the client
   * sees a short download.
   */
  mode?: 'reset' | 'truncate';
}

interface RepoFile {
  path: string;
  absolutePath: string;
  size: number;
  sha256: string;
  /** Git blob id of what git stores: the content, or the LFS pointer for LFS files. */
  gitOid: string;
  lfs?: { pointer: string; pointerSize: number };
}

interface RepoSnapshot {
  commit: string;
  files: Map<string, RepoFile>;
  directories: Set<string>;
}

interface HubRoute {
  kind: 'info' | 'revision' | 'tree' | 'paths-info' | 'resolve' | 'raw';
  repo: string;
  revision: string;
  path: string;
}

// The patterns of the Hub's default .gitattributes, plus its size rule: such files are stored with LFS.
const LFS_EXTENSIONS = new Set([
  '.onnx',
  '.onnx_data',
  '.bin',
  '.safetensors',
  '.pt',
  '.pth',
  '.h5',
  '.msgpack',
  '.ckpt',
  '.gguf',
  '.npy',
  '.zip',
  '.tar',
  '.gz',
]);
const LFS_MIN_BYTES = 10 * 1024 * 1024;
const API_KINDS = new Set(['revision', 'tree', 'paths-info']);
const FILE_KINDS = new Set(['resolve', 'raw']);

function isLfs(path: string, size: number): boolean {
  const dot = path.lastIndexOf('.');
  return size >= LFS_MIN_BYTES || (dot >= 0 && LFS_EXTENSIONS.has(path.slice(dot).toLowerCase()));
}

function gitBlobId(content: Buffer | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

async function hashFile(path: string): Promise<{ sha256: string; gitSha1: string }> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  const gitSha1 = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    gitSha1.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), gitSha1: gitSha1.digest('hex') };
}

/** Parses `/api/models/<repo>`, `/api/models/<repo>/<kind>/<rev>[/<path>]` and `/<repo>/<kind>/<rev>/<path>`; repo ids have 1 or 2 segments. */
function parseRoute(pathname: string): HubRoute | undefined {
  const segments = pathname.split('/').slice(1).map(decodeURIComponent);
  const isApi = segments[0] === 'api' && segments[1] === 'models';
  const rest = isApi ? segments.slice(2) : segments;
  if (isApi && (rest.length === 1 || (rest.length === 2 && !API_KINDS.has(rest[1])))) {
    return { kind: 'info', repo: rest.join('/'), revision: 'main', path: '' };
  }
  const kinds = isApi ? API_KINDS : FILE_KINDS;
  for (const repoLength of [2, 1]) {
    const kind = rest[repoLength];
    if (kind === undefined || !kinds.has(kind) || rest.length < repoLength + 2) continue;
    return {
      kind: kind as HubRoute['kind'],
      repo: rest.slice(0, repoLength).join('/'),
      revision: rest[repoLength + 1],
      path: rest.slice(repoLength + 2).join('/'),
    };
  }
  return undefined;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start > end || start >= size ? 'invalid' : { start, end };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

interface Refusal {
  status: number;
  code: 'RepoNotFound' | 'GatedRepo';
  message: string;
}

function sendRefusal(response: ServerResponse, { status, code, message }: Refusal): void {
  sendJson(response, status, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });
}

function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
}

/** The library the Hub infers from a repo's files when its card names none. */
function inferLibrary(snapshot: RepoSnapshot): string | undefined {
  if (snapshot.files.has('model_index.json')) return 'diffusers';
  if (snapshot.files.has('config_sentence_transformers.json') || snapshot.files.has('modules.json')) return 'sentence-transformers';
  if (snapshot.files.has('config.json')) return 'transformers';
  return undefined;
}

function summariseParameters(parameters: Record<string, number>): { parameters: Record<string, number>; total: number } {
  return { parameters, total: Object.values(parameters).reduce((sum, count) => sum + count, 0) };
}

/**
 * A local stand-in for the Hugging Face Hub, speaking the endpoints that @huggingface/hub 2.x calls to
 * read models: model info (with `expand`, safetensors parameter counts read from the files' headers),
 * tree, paths-info, and file downloads (resolve/raw, with Range). Each repo has one commit, whose sha
 * is derived from its content. Repos can be gated or private, answering the Hub's status codes and
 * `X-Error-Code`s. Tests can require a token, inspect the requests, and cut a download off mid-file.
 * Unlike the Hub, an unknown repo answers 404 even without a token (the Hub says 401 then).
 */
export class FakeHuggingFaceHub {
  /** Requests in arrival order. */
  readonly requests: FakeHubRequest[] = [];
  /** When set, requests without this bearer token get 401. */
  accessToken: string | undefined;
  private readonly interruptions: DownloadInterruption[] = [];
  private readonly digests = new Map<string, { key: string; sha256: string; gitSha1: string }>();
  private readonly repoSettings: Map<string, FakeRepoSettings>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly reposDir: string,
    accessToken: string | undefined,
    repoSettings: Record<string, FakeRepoSettings>,
  ) {
    this.accessToken = accessToken;
    this.repoSettings = new Map(Object.entries(repoSettings));
  }

  static async start(options: FakeHubOptions): Promise<FakeHuggingFaceHub> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const hub = new FakeHuggingFaceHub(server, `http://127.0.0.1:${port}`, options.reposDir, options.accessToken, options.repoSettings ?? {});
    server.on('request', (request, response) => {
      hub.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
    });
    return hub;
  }

  /** Replaces what the Hub knows about `repo` beyond its files. */
  configureRepo(repo: string, settings: FakeRepoSettings): void {
    this.repoSettings.set(repo, settings);
  }

  /** The next full download of `file` (in any repo) is cut off as described. */
  interruptNextDownload(interruption: DownloadInterruption): void {
    this.interruptions.push(interruption);
  }

  /** Requests whose path contains `fragment` (e.g. `/resolve/`). */
  requestsTo(fragment: string): FakeHubRequest[] {
    return this.requests.filter((request) => request.path.includes(fragment));
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** The commit sha the repo is served at. */
  async commitOf(repo: string): Promise<string> {
    const snapshot = await this.snapshot(repo);
    if (!snapshot) throw new Error(`The fake hub has no repo "${repo}"`);
    return snapshot.commit;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    this.requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      range: request.headers.range,
      authorization: request.headers.authorization,
    });

    if (this.accessToken !== undefined && request.headers.authorization !== `Bearer ${this.accessToken}`) {
      sendJson(response, 401, { error: 'Invalid credentials in Authorization header' });
      return;
    }

    const route = parseRoute(url.pathname);
    if (!route) {
      sendJson(response, 404, { error: 'Not found' });
      return;
    }
    const snapshot = await this.snapshot(route.repo);
    if (!snapshot) {
      sendJson(response, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      return;
    }
    const refusal = this.refusal(route, request.headers.authorization);
    if (refusal) {
      sendRefusal(response, refusal);
      return;
    }
    if (!['main', 'HEAD', snapshot.commit].includes(route.revision)) {
      sendJson(response, 404, { error: `Invalid rev id: ${route.revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return;
    }

    switch (route.kind) {
      case 'info':
      case 'revision':
        return sendJson(response, 200, this.expanded(await this.modelInfo(route.repo, snapshot), url.searchParams));
      case 'tree':
        return sendJson(response, 200, this.treeEntries(snapshot, route.path, url.searchParams.get('recursive') === 'true'));
      case 'paths-info':
        return this.sendPathsInfo(request, response, snapshot);
      case 'resolve':
      case 'raw':
        return this.sendFile(request, response, route, snapshot);
    }
  }

  /** As the Hub: private repos hide from everyone not granted; gated repos show their metadata and listings but not their files. */
  private refusal(route: HubRoute, authorization: string | undefined): Refusal | undefined {
    const settings = this.repoSettings.get(route.repo);
    if (!settings?.private && !settings?.gated) return undefined;
    const token = bearerToken(authorization);
    if (token !== undefined && settings.grantedTokens?.includes(token)) return undefined;
    if (settings.private) {
      return { status: token === undefined ? 401 : 404, code: 'RepoNotFound', message: 'Repository not found' };
    }
    if (!FILE_KINDS.has(route.kind)) return undefined;
    return token === undefined
      ? {
          status: 401,
          code: 'GatedRepo',
          message: `Access to model ${route.repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        }
      : {
          status: 403,
          code: 'GatedRepo',
          message: `Access to model ${route.repo} is restricted and you are not in the authorized list. Visit ${this.url}/${route.repo} to ask for access.`,
        };
  }

  private async modelInfo(repo: string, snapshot: RepoSnapshot): Promise<Record<string, unknown>> {
    const settings = this.repoSettings.get(repo) ?? {};
    const library = settings.library ?? inferLibrary(snapshot);
    const safetensors = settings.safetensorsParameters ? summariseParameters(settings.safetensorsParameters) : await this.safetensorsOf(snapshot);
    const pipelineClass = await this.diffusersPipelineOf(snapshot);
    const tags = [library, settings.pipelineTag, safetensors && 'safetensors', pipelineClass && `diffusers:${pipelineClass}`];
    return {
      _id: snapshot.commit.slice(0, 24),
      id: repo,
      modelId: repo,
      author: repo.includes('/') ? repo.split('/')[0] : undefined,
      sha: snapshot.commit,
      private: settings.private ?? false,
      gated: settings.gated ?? false,
      disabled: false,
      downloads: 0,
      likes: 0,
      library_name: library,
      pipeline_tag: settings.pipelineTag,
      tags: tags.filter((tag) => typeof tag === 'string'),
      safetensors,
      createdAt: new Date(0).toISOString(),
      lastModified: new Date(0).toISOString(),
      siblings: [...snapshot.files.keys()].sort().map((rfilename) => ({ rfilename })),
    };
  }

  /** With `expand` (or `expand[]`) parameters the Hub answers the named fields only, beside the ids. */
  private expanded(info: Record<string, unknown>, search: URLSearchParams): Record<string, unknown> {
    const fields = [...search.getAll('expand'), ...search.getAll('expand[]')];
    if (fields.length === 0) return info;
    return Object.fromEntries(Object.entries(info).filter(([field]) => field === '_id' || field === 'id' || fields.includes(field)));
  }

  /** Parameter counts by dtype over the repo's top-level .safetensors files, as the Hub's `safetensors` field has them. */
  private async safetensorsOf(snapshot: RepoSnapshot): Promise<{ parameters: Record<string, number>; total: number } | undefined> {
    const weights = [...snapshot.files.values()].filter((file) => !file.path.includes('/') && file.path.endsWith('.safetensors'));
    if (weights.length === 0) return undefined;
    const parameters: Record<string, number> = {};
    for (const file of weights) {
      for (const { dtype, shape } of Object.values(await readSafetensorsHeader(file.absolutePath))) {
        parameters[dtype] = (parameters[dtype] ?? 0) + tensorElements(shape);
      }
    }
    return summariseParameters(parameters);
  }

  private async diffusersPipelineOf(snapshot: RepoSnapshot): Promise<string | undefined> {
    const modelIndex = snapshot.files.get('model_index.json');
    if (!modelIndex) return undefined;
    try {
      const className = (JSON.parse(await readFile(modelIndex.absolutePath, 'utf8')) as { _class_name?: unknown })._class_name;
      return typeof className === 'string' ? className : undefined;
    } catch {
      return undefined;
    }
  }

  private entryOf(snapshot: RepoSnapshot, path: string): object | undefined {
    const file = snapshot.files.get(path);
    if (file) {
      return {
        type: 'file',
        path,
        oid: file.gitOid,
        size: file.size,
        ...(file.lfs && { lfs: { oid: file.sha256, size: file.size, pointerSize: file.lfs.pointerSize } }),
      };
    }
    return snapshot.directories.has(path) ? { type: 'directory', path, oid: gitBlobId(path), size: 0 } : undefined;
  }

  private treeEntries(snapshot: RepoSnapshot, folder: string, recursive: boolean): object[] {
    const prefix = folder ? `${folder}/` : '';
    const paths = [...snapshot.directories, ...snapshot.files.keys()]
      .filter((path) => path.startsWith(prefix) && (recursive || !path.slice(prefix.length).includes('/')))
      .sort();
    return paths.map((path) => this.entryOf(snapshot, path)!);
  }

  private async sendPathsInfo(request: IncomingMessage, response: ServerResponse, snapshot: RepoSnapshot): Promise<void> {
    const body = JSON.parse(await readBody(request)) as { paths?: unknown; expand?: boolean };
    if (!Array.isArray(body.paths)) {
      sendJson(response, 400, { error: 'paths must be an array' });
      return;
    }
    const entries = body.paths
      .map((path) => this.entryOf(snapshot, String(path)))
      .filter((entry) => entry !== undefined)
      .map((entry) => (body.expand ? { ...entry, lastCommit: this.lastCommit(snapshot) } : entry));
    sendJson(response, 200, entries);
  }

  private lastCommit(snapshot: RepoSnapshot): object {
    return { id: snapshot.commit, title: 'Upload model', date: new Date(0).toISOString() };
  }

  private sendFile(request: IncomingMessage, response: ServerResponse, route: HubRoute, snapshot: RepoSnapshot): void {
    const file = snapshot.files.get(route.path);
    if (!file) {
      sendJson(response, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      return;
    }
    const servesPointer = route.kind === 'raw' && file.lfs !== undefined;
    const size = servesPointer ? file.lfs!.pointerSize : file.size;
    const headers: Record<string, string> = {
      'Content-Type': servesPointer ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${servesPointer || !file.lfs ? file.gitOid : file.sha256}"`,
      'X-Repo-Commit': snapshot.commit,
    };
    if (file.lfs && !servesPointer) {
      headers['X-Linked-ETag'] = `"${file.sha256}"`;
      headers['X-Linked-Size'] = String(file.size);
    }

    const range = parseRange(request.headers.range, size);
    if (range === 'invalid') {
      response.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
      response.end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = Math.max(0, end - start + 1);
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    const status = range ? 206 : 200;

    if (request.method === 'HEAD') {
      response.writeHead(status, { ...headers, 'Content-Length': String(length) });
      response.end();
      return;
    }
    if (servesPointer) {
      response.writeHead(status, { ...headers, 'Content-Length': String(length) });
      response.end(Buffer.from(file.lfs!.pointer).subarray(start, end + 1));
      return;
    }

    const interruption = this.takeInterruption(route, length);
    if (!interruption) {
      response.writeHead(status, { ...headers, 'Content-Length': String(length) });
      createReadStream(file.absolutePath, { start, end }).pipe(response);
      return;
    }
    const cutAt = start + interruption.afterBytes;
    if (interruption.mode === 'truncate') {
      response.writeHead(status, headers);
      createReadStream(file.absolutePath, { start, end: cutAt - 1 }).pipe(response);
      return;
    }
    response.writeHead(status, { ...headers, 'Content-Length': String(length) });
    const partial = createReadStream(file.absolutePath, { start, end: cutAt - 1 });
    partial.pipe(response, { end: false });
    partial.on('end', () => response.write('', () => response.socket?.destroy()));
  }

  private takeInterruption(route: HubRoute, length: number): DownloadInterruption | undefined {
    if (route.kind !== 'resolve') return undefined;
    const index = this.interruptions.findIndex((candidate) => candidate.file === route.path && candidate.afterBytes < length);
    return index < 0 ? undefined : this.interruptions.splice(index, 1)[0];
  }

  private async snapshot(repo: string): Promise<RepoSnapshot | undefined> {
    if (repo.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) return undefined;
    const root = join(this.reposDir, ...repo.split('/'));
    const exists = await stat(root).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (!exists) {
      return this.repoSettings.has(repo) ? { commit: createHash('sha1').update(repo).digest('hex'), files: new Map(), directories: new Set() } : undefined;
    }

    const files = new Map<string, RepoFile>();
    const directories = new Set<string>();
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      const absolutePath = join(entry.parentPath, entry.name);
      const path = absolutePath
        .slice(root.length + 1)
        .split('\\')
        .join('/');
      if (entry.isDirectory()) directories.add(path);
      if (entry.isFile()) files.set(path, await this.describeFile(path, absolutePath));
    }
    const listing = [...files.values()]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((file) => `${file.path}\0${file.gitOid}\n`)
      .join('');
    return { commit: createHash('sha1').update(listing).digest('hex'), files, directories };
  }

  private async describeFile(path: string, absolutePath: string): Promise<RepoFile> {
    const { size, mtimeMs } = await stat(absolutePath);
    const key = `${size}:${mtimeMs}`;
    let digest = this.digests.get(absolutePath);
    if (digest?.key !== key) {
      digest = { key, ...(await hashFile(absolutePath)) };
      this.digests.set(absolutePath, digest);
    }
    if (!isLfs(path, size)) return { path, absolutePath, size, sha256: digest.sha256, gitOid: digest.gitSha1 };
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${digest.sha256}\nsize ${size}\n`;
    return {
      path,
      absolutePath,
      size,
      sha256: digest.sha256,
      gitOid: gitBlobId(pointer),
      lfs: { pointer, pointerSize: Buffer.byteLength(pointer) },
    };
  }
}
