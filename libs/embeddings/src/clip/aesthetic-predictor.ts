import { readFile } from 'node:fs/promises';
import type { ModelSessions, ModelStore } from '@switchyard/model-runtime';
import type { ModelSource } from '../batch-encoder';
import { ModelFiles } from '../model-files';
import { loadClipVisionEncoder, type ClipVisionEncoder } from './clip-encoders';
import type { ClipImageOptions } from './clip-image-preprocessor';
import { SafetensorsFile } from './safetensors-file';

/** The ViT-B/32 head of LAION-AI/aesthetic-predictor, converted from its `.pth` (see docs/models.md). */
export const AESTHETIC_HEAD_FILE = 'sa_0_4_vit_b_32_linear.safetensors';

/** Where the head's safetensors file is: a repository (or model store folder) and, optionally, its file name. */
export interface AestheticHeadSource {
  readonly repo: string;
  readonly revision?: string;
  readonly file?: string;
}

/**
 * LAION's aesthetic predictor: one linear layer on CLIP's L2-normalised projected image
 * embedding, giving a rating on the raters' 0–10 scale (about 3–8 in practice, unbounded).
 */
export class AestheticPredictor {
  private constructor(
    readonly name: string,
    readonly vision: ClipVisionEncoder,
    private readonly weight: Float32Array,
    private readonly bias: number,
  ) {}

  /** Loads CLIP's vision tower (only; not the text tower) and the head through the model store, checks that the head's width equals the tower's projection_dim. */
  static async load(
    store: ModelStore,
    sessions: ModelSessions,
    clip: ModelSource,
    head: AestheticHeadSource,
    imageOptions: ClipImageOptions,
  ): Promise<AestheticPredictor> {
    const file = head.file ?? AESTHETIC_HEAD_FILE;
    const files = await ModelFiles.resolve(store, head, [file]);
    const tensors = SafetensorsFile.read(head.repo, file, await readFile(files.path(file)));
    const vision = await loadClipVisionEncoder(store, sessions, clip, imageOptions);
    // nn.Linear(projection_dim, 1): weight [out, in], bias [out].
    const weight = tensors.tensor('weight', [1, vision.dimensions]).values;
    const [bias] = tensors.tensor('bias', [1]).values;
    return new AestheticPredictor(`${head.repo} ${file.replace(/\.safetensors$/, '')}`, vision, weight, bias);
  }

  /** The rating of one encoded image (PNG/JPEG bytes), preprocessed exactly as CLIPImageProcessor does. */
  async score(imageBytes: Uint8Array): Promise<number> {
    const [embedding] = await this.vision.embedBatch([await this.vision.preprocessor.preprocess(imageBytes)]);
    return this.rate(embedding);
  }

  /** The head alone on an already L2-normalised embedding. */
  rate(embedding: Float32Array): number {
    if (embedding.length !== this.weight.length) throw new RangeError(`${this.name} rates ${this.weight.length}-d embeddings, got ${embedding.length}`);
    let rating = this.bias;
    for (let index = 0; index < embedding.length; index++) rating += this.weight[index] * embedding[index];
    return rating;
  }
}
