import { TierNotAvailableError } from '../errors';
import { GENERATED_MODELS, hasTier, type ModelKey } from '../manifest';
import type { Tier } from './architectures';
import { buildAestheticHead } from './aesthetic-head';
import { buildClip } from './clip';
import type { ModelArtifacts, ModelBuilder } from './model-artifacts';
import { buildMiniLm } from './minilm';
import { buildRealEsrgan } from './real-esrgan';
import { buildSpai } from './spai';
import { buildStableDiffusion } from './stable-diffusion';
import { buildStableDiffusionXl } from './stable-diffusion-xl';
import { buildTextDetector } from './text-detector';

const BUILDERS: Record<ModelKey, ModelBuilder> = {
  miniLm: buildMiniLm,
  clip: buildClip,
  spai: buildSpai,
  realEsrgan: buildRealEsrgan,
  textDetector: buildTextDetector,
  stableDiffusion: buildStableDiffusion,
  stableDiffusionXl: (tier) => buildStableDiffusionXl('stableDiffusionXl', tier),
  stableDiffusionXlTurbo: (tier) => buildStableDiffusionXl('stableDiffusionXlTurbo', tier),
  aestheticHead: buildAestheticHead,
};

/** Describes one model repository of one tier (graphs with lazy weights, and its text files). */
export function buildModel(model: ModelKey, tier: Tier): ModelArtifacts {
  if (!hasTier(model, tier)) throw new TierNotAvailableError(GENERATED_MODELS[model].repoId, tier);
  return BUILDERS[model](tier);
}
