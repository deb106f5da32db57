import { createHash } from 'node:crypto';
import { readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildModel, GENERATED_MODELS, generateModels, MODEL_KEYS, modelDirectory, TierNotAvailableError, type Tier } from '../src';
import { TinyZoo } from './support/tiny-zoo';

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(directory, join(entry.parentPath, entry.name)));
}

async function digest(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('generateModels', () => {
  let zoo: TinyZoo;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(MODEL_KEYS);
  });
  afterAll(() => zoo.remove());

  it('lays each tiny model out as its Hugging Face repository: <out>/tiny/<repo id>/<file>', async () => {
    for (const model of MODEL_KEYS) {
      const { graphs, files } = GENERATED_MODELS[model];
      const expected = [...graphs.map((graph) => graph.file), ...files, '.model-zoo-stamp.json'];
      const directory = join(zoo.outDir, 'tiny', ...GENERATED_MODELS[model].repoId.split('/'));
      expect(modelDirectory(zoo.outDir, 'tiny', model)).toBe(directory);
      expect((await listFiles(directory)).sort()).toEqual(expected.sort());
    }
    expect(zoo.results.map((result) => result.status)).toEqual(MODEL_KEYS.map(() => 'written'));
  });

  it('builds, for every tier of every model, exactly the files GENERATED_MODELS lists', () => {
    for (const model of MODEL_KEYS) {
      for (const tier of GENERATED_MODELS[model].tiers as readonly Tier[]) {
        const artifacts = buildModel(model, tier);
        expect(artifacts.graphs.map((graph) => graph.path)).toEqual(GENERATED_MODELS[model].graphs.map((graph) => graph.file));
        expect(artifacts.files.map((file) => file.path)).toEqual(GENERATED_MODELS[model].files);
      }
    }
  });

  it('leaves an up-to-date folder untouched on a second run', async () => {
    const onnxFile = zoo.path('miniLm', 'onnx/model.onnx');
    const before = await stat(onnxFile);
    const again = await generateModels({ outDir: zoo.outDir, tiers: ['tiny'] });
    expect(again.map((result) => result.status)).toEqual(MODEL_KEYS.map(() => 'up-to-date'));
    expect((await stat(onnxFile)).mtimeMs).toBe(before.mtimeMs);
  });

  it('writes the same bytes on every run, and rewrites a damaged model', async () => {
    const file = zoo.path('realEsrgan', 'onnx/RealESRGAN_x4plus.onnx');
    const original = await digest(file);
    await truncate(file, 100);
    const [result] = await generateModels({ outDir: zoo.outDir, tiers: ['tiny'], models: ['realEsrgan'] });
    expect(result.status).toBe('written');
    expect(await digest(file)).toBe(original);

    const fresh = await TinyZoo.generate(['miniLm', 'spai']);
    try {
      for (const [model, graph] of [
        ['miniLm', 'onnx/model.onnx'],
        ['spai', 'onnx/patch_encoder.onnx'],
        ['miniLm', 'tokenizer.json'],
      ] as const) {
        expect(await digest(fresh.path(model, graph))).toBe(await digest(zoo.path(model, graph)));
      }
    } finally {
      await fresh.remove();
    }
  });

  it('skips models that have no requested tier, and refuses to build them', async () => {
    expect(await generateModels({ outDir: zoo.outDir, tiers: ['full'], models: ['stableDiffusion'] })).toEqual([]);
    expect(() => buildModel('stableDiffusion', 'full')).toThrow(TierNotAvailableError);
  });
});
