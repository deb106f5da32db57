import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelSessions, ModelStore } from '@switchyard/model-runtime';
import { ClipTokenizer } from '../../../src';
import { buildModel, GENERATED_MODELS, generateModels, writeOnnxFile, type ModelKey, type TensorSignature } from '@switchyard/model-zoo';

export const SD_TURBO = { repo: GENERATED_MODELS.stableDiffusion.repoId };
export const PLAYGROUND = { repo: GENERATED_MODELS.stableDiffusionXl.repoId };
export const SDXL_TURBO = { repo: GENERATED_MODELS.stableDiffusionXlTurbo.repoId };

type Retyped = Readonly<Record<string, Readonly<Record<string, Pick<TensorSignature, 'type' | 'dims'>>>>>;

/** The tiny diffusion replicas in a temporary folder, served by an offline model store, with variants of their graphs. */
export class DiffusionReplicas {
  private constructor(
    readonly outDir: string,
    readonly store: ModelStore,
    readonly sessions: ModelSessions,
  ) {}

  static async generate(): Promise<DiffusionReplicas> {
    const outDir = await mkdtemp(join(tmpdir(), 'diffusion-replicas-'));
    await generateModels({ outDir, tiers: ['tiny'], models: ['stableDiffusion', 'stableDiffusionXl', 'stableDiffusionXlTurbo'] });
    const store = new ModelStore({ cacheDir: join(outDir, 'cache'), modelDir: join(outDir, 'tiny'), offline: true });
    return new DiffusionReplicas(outDir, store, new ModelSessions({ executionProviders: ['cpu'] }));
  }

  path(repo: string, file: string): string {
    return join(this.outDir, 'tiny', ...repo.split('/'), file);
  }

  /** A direct onnxruntime session on one file of a replica, for the tests' own computations. */
  session(repo: string, file: string): Promise<ort.InferenceSession> {
    return ort.InferenceSession.create(this.path(repo, file));
  }

  /** The CLIP tokenizer of one tokenizer folder of a replica. */
  async tokenizer(repo: string, folder: string): Promise<ClipTokenizer> {
    const read = (file: string) => readFile(this.path(repo, `${folder}/${file}`), 'utf8');
    return ClipTokenizer.fromFiles(
      repo,
      folder,
      {
        vocab: JSON.parse(await read('vocab.json')),
        merges: await read('merges.txt'),
        config: JSON.parse(await read('tokenizer_config.json')),
        specialTokens: JSON.parse(await read('special_tokens_map.json')),
      },
      77,
    );
  }

  /**
   * A copy of a replica (as repository `variants/<name>`) whose graphs declare other element types
   * or shapes for some inputs (or more inputs, which nothing reads): the same weights, so it must
   * give the same images where the values fit.
   */
  async variant(model: ModelKey, name: string, retyped: Retyped): Promise<{ repo: string }> {
    const repo = `variants/${name}`;
    await cp(this.path(GENERATED_MODELS[model].repoId, ''), this.path(repo, ''), { recursive: true });
    for (const { path, graph } of buildModel(model, 'tiny').graphs) {
      const changes = retyped[path];
      if (!changes) continue;
      const inputs = graph.inputs.map((input) => (changes[input.name] ? { ...input, ...changes[input.name] } : input));
      const added = Object.entries(changes).filter(([input]) => !graph.inputs.some((existing) => existing.name === input));
      inputs.push(...added.map(([input, change]) => ({ name: input, ...change })));
      await writeOnnxFile(this.path(repo, path), { ...graph, inputs }, 'test');
    }
    return { repo };
  }

  async remove(): Promise<void> {
    await this.sessions.release();
    this.store.close();
    await rm(this.outDir, { recursive: true, force: true });
  }
}

/** Largest absolute difference of two equally long arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
