import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelSessions, ModelStore } from '@switchyard/model-runtime';
import { GENERATED_MODELS, generateModels } from '@switchyard/model-zoo';

/** The tiny MiniLM, CLIP and aesthetic head of the model zoo in a temporary folder, served by an offline model store. */
export class TinyModels {
  private constructor(
    readonly outDir: string,
    readonly store: ModelStore,
    readonly sessions: ModelSessions,
  ) {}

  /** `inferenceThreads` above 0 runs the sessions in that many worker threads, as the embedder does. */
  static async generate({ inferenceThreads = 0 } = {}): Promise<TinyModels> {
    const outDir = await mkdtemp(join(tmpdir(), 'embeddings-models-'));
    await generateModels({ outDir, tiers: ['tiny'], models: ['miniLm', 'clip', 'aestheticHead'] });
    const store = new ModelStore({ cacheDir: join(outDir, 'cache'), modelDir: join(outDir, 'tiny'), offline: true });
    return new TinyModels(outDir, store, new ModelSessions({ executionProviders: ['cpu'], inferenceThreads }));
  }

  /** Where the encoders' sessions run: each spec checks its vectors against the references in both places. */
  static readonly placements = [
    ['on the calling thread', 0],
    ['in inference threads', 2],
  ] as const;

  static readonly miniLm = { repo: GENERATED_MODELS.miniLm.repoId };
  static readonly clip = { repo: GENERATED_MODELS.clip.repoId };
  static readonly aestheticHead = { repo: GENERATED_MODELS.aestheticHead.repoId };

  /** A file of a tiny model's repository folder. */
  path(repo: string, file: string): string {
    return join(this.outDir, 'tiny', ...repo.split('/'), file);
  }

  async remove(): Promise<void> {
    await this.sessions.release();
    this.store.close();
    await rm(this.outDir, { recursive: true, force: true });
  }
}
