import { GENERATED_MODELS } from '../manifest';
import { SeededRandom } from '../random/seeded-random';
import { safetensorsBytes } from '../safetensors/safetensors-writer';
import { CLIP_PROJECTION_DIM, type Tier } from './architectures';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.aestheticHead;
const HEAD_FILE = 'sa_0_4_vit_b_32_linear.safetensors';

/** The published head's bias, so that generated ratings sit where real ones do. */
const PUBLISHED_BIAS = 3.42;
/**
 * Weights uniform in ±1 give a unit embedding a dot product of standard deviation about
 * 1/√3 ≈ 0.58, so ratings land around 2–5: plausible, though random.
 */
const WEIGHT_RANGE = 1;

/**
 * The LAION aesthetic predictor's ViT-B/32 head (one nn.Linear(512, 1)) as a safetensors file,
 * the form the embeddings library reads (the published file is a PyTorch pickle, `.pth`).
 */
export function buildAestheticHead(tier: Tier): ModelArtifacts {
  const weight = new Float32Array(CLIP_PROJECTION_DIM);
  new SeededRandom(graphSeed(MODEL.repoId, HEAD_FILE, tier)).fillUniform(weight, -WEIGHT_RANGE, WEIGHT_RANGE);
  const content = safetensorsBytes(
    [
      { name: 'weight', shape: [1, CLIP_PROJECTION_DIM], values: weight },
      { name: 'bias', shape: [1], values: Float32Array.of(PUBLISHED_BIAS) },
    ],
    { format: 'pt' },
  );
  return {
    graphs: [],
    files: [
      { path: HEAD_FILE, content },
      jsonFile('config.json', {
        source: 'https://github.com/LAION-AI/aesthetic-predictor/blob/6d122ad/sa_0_4_vit_b_32_linear.pth',
        license: 'MIT',
        architecture: 'torch.nn.Linear',
        in_features: CLIP_PROJECTION_DIM,
        out_features: 1,
        input: 'L2-normalised image_embeds of openai/clip-vit-base-patch32',
        output: 'aesthetic rating, 0-10 scale (about 3-8 in practice, unbounded)',
        generated: 'seeded random weights by @switchyard/model-zoo; not the published ones',
      }),
    ],
  };
}
