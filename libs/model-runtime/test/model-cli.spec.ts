import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runModelCli } from '@switchyard/model-runtime';
import { FakeHuggingFaceHub } from '@switchyard/testing';

let root: string;
let hub: FakeHuggingFaceHub;

async function cli(argv: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runModelCli(argv, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-cli-'));
  await mkdir(join(root, 'hub', 'acme', 'tiny'), { recursive: true });
  await writeFile(join(root, 'hub', 'acme', 'tiny', 'model.onnx'), Buffer.alloc(3000, 7));
  await writeFile(join(root, 'hub', 'acme', 'tiny', 'config.json'), '{}');
  hub = await FakeHuggingFaceHub.start({ reposDir: join(root, 'hub') });
});

afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

describe('model CLI', () => {
  it('pulls files into the cache, then lists the cached model', async () => {
    const env = { HF_ENDPOINT: hub.url, MODEL_CACHE_DIR: join(root, 'cache') };
    const commit = await hub.commitOf('acme/tiny');

    const pulled = await cli(['pull', 'acme/tiny', '--file', 'model.onnx', '--file', 'config.json'], env);
    const listed = await cli(['list'], env);

    expect(pulled.status).toBe(0);
    expect(pulled.out).toContain(`acme/tiny @ ${commit}`);
    expect(pulled.out).toMatch(/model\.onnx\t2\.9 KiB\thub\t.*model\.onnx/);
    expect(pulled.err).toContain('model.onnx: 2.9 KiB / 2.9 KiB from hub');
    expect(listed).toEqual({
      status: 0,
      out: [`acme/tiny @ ${commit} (main)\t2.9 KiB\t2 files`, '  model.onnx\t2.9 KiB', '  config.json\t2 B'].join('\n'),
      err: '',
    });
  });

  it('explains usage mistakes with status 2 and model errors with status 1', async () => {
    const env = { MODEL_CACHE_DIR: join(root, 'empty-cache'), HF_HUB_OFFLINE: 'true' };

    const noFile = await cli(['pull', 'acme/tiny'], env);
    const unknownCommand = await cli(['push'], env);
    const offline = await cli(['pull', 'acme/tiny', '--file', 'model.onnx'], env);
    const badConfig = await cli(['list'], { HF_HUB_OFFLINE: 'perhaps' });

    expect(noFile).toMatchObject({ status: 2, err: expect.stringContaining('name the files to pull with --file') });
    expect(unknownCommand).toMatchObject({ status: 2, err: expect.stringContaining('unknown command "push"\nUsage:') });
    expect(offline).toMatchObject({ status: 1, err: expect.stringContaining('Model "acme/tiny" at revision "main" is not cached') });
    expect(badConfig).toMatchObject({ status: 1, err: expect.stringContaining('HF_HUB_OFFLINE') });
  });
});
