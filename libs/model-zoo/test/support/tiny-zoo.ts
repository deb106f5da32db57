import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildModel, GENERATED_MODELS, generateModels, modelDirectory, readWeight, type GenerationResult, type ModelKey } from '../../src';

/** The tiny tier of some models, generated into a fresh temporary folder. */
export class TinyZoo {
  private constructor(
    readonly outDir: string,
    readonly results: readonly GenerationResult[],
  ) {}

  static async generate(models: readonly ModelKey[]): Promise<TinyZoo> {
    const outDir = await mkdtemp(join(tmpdir(), 'model-zoo-'));
    return new TinyZoo(outDir, await generateModels({ outDir, tiers: ['tiny'], models }));
  }

  path(model: ModelKey, file: string): string {
    return join(modelDirectory(this.outDir, 'tiny', model), file);
  }

  /** A session on one graph of a model, found by its file in GENERATED_MODELS. */
  session(model: ModelKey, file: string): Promise<ort.InferenceSession> {
    if (!GENERATED_MODELS[model].graphs.some((graph) => graph.file === file)) throw new Error(`${model} has no graph ${file}`);
    return ort.InferenceSession.create(this.path(model, file));
  }

  remove(): Promise<void> {
    return rm(this.outDir, { recursive: true, force: true });
  }
}

export function int64Tensor(rows: readonly (readonly number[])[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (value) => BigInt(value)),
    [rows.length, rows[0].length],
  );
}

/** Values in [0,1) that differ from element to element, reproducibly. */
export function patternTensor(dims: readonly number[], phase = 0): ort.Tensor {
  const count = dims.reduce((product, dim) => product * dim, 1);
  const data = Float32Array.from({ length: count }, (_, i) => (Math.sin(i * 0.37 + phase) + 1) / 2);
  return new ort.Tensor('float32', data, [...dims]);
}

export function floats(tensor: ort.Tensor): Float32Array {
  return tensor.data as Float32Array;
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The weights of one tiny graph, as written to its file, by initializer name. */
export function tinyWeights(model: ModelKey, file: string): (name: string) => Float32Array {
  const graph = buildModel(model, 'tiny').graphs.find((candidate) => candidate.path === file)?.graph;
  if (!graph) throw new Error(`${model} has no graph ${file}`);
  return (name) => readWeight(graph, name);
}
