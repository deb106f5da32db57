/**
 * Layer counts and widths of every generated model, per tier. `full` follows the real
 * architecture; `tiny` keeps every input/output width of the real model's contract but shrinks
 * what is inside so that a test runs it in milliseconds.
 */

export type Tier = 'tiny' | 'full';
export const TIERS: readonly Tier[] = ['tiny', 'full'];

export interface TextEncoderArchitecture {
  readonly vocabSize: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly maxPositions: number;
  readonly layerNormEps: number;
  /** Factorises the token table as [vocab,rank]·[rank,width] (tiny tiers only). */
  readonly embeddingRank?: number;
}

export interface BertArchitecture extends TextEncoderArchitecture {
  readonly typeVocabSize: number;
}

export interface VisionTransformerArchitecture {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly layerNormEps: number;
}

export const BERT_VOCAB_SIZE = 30522;
export const CLIP_VOCAB_SIZE = 49408;
export const CLIP_MAX_POSITIONS = 77;

export const MINILM_HIDDEN_SIZE = 384;

export const MINILM: Record<Tier, BertArchitecture> = {
  full: { vocabSize: BERT_VOCAB_SIZE, width: MINILM_HIDDEN_SIZE, layers: 6, heads: 12, intermediate: 1536, maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12 },
  tiny: { vocabSize: BERT_VOCAB_SIZE, width: MINILM_HIDDEN_SIZE, layers: 1, heads: 12, intermediate: 64, maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12, embeddingRank: 16 },
};

export interface ClipArchitecture {
  readonly text: TextEncoderArchitecture;
  readonly vision: VisionTransformerArchitecture;
  readonly projectionDim: number;
}

export const CLIP_PROJECTION_DIM = 512;
export const CLIP_IMAGE_SIZE = 224;

export const CLIP: Record<Tier, ClipArchitecture> = {
  full: {
    text: { vocabSize: CLIP_VOCAB_SIZE, width: 512, layers: 12, heads: 8, intermediate: 2048, maxPositions: CLIP_MAX_POSITIONS, layerNormEps: 1e-5 },
    vision: { imageSize: CLIP_IMAGE_SIZE, patchSize: 32, width: 768, layers: 12, heads: 12, intermediate: 3072, layerNormEps: 1e-5 },
    projectionDim: CLIP_PROJECTION_DIM,
  },
  tiny: {
    text: { vocabSize: CLIP_VOCAB_SIZE, width: 32, layers: 1, heads: 2, intermediate: 64, maxPositions: CLIP_MAX_POSITIONS, layerNormEps: 1e-5, embeddingRank: 8 },
    vision: { imageSize: CLIP_IMAGE_SIZE, patchSize: 32, width: 64, layers: 1, heads: 2, intermediate: 128, layerNormEps: 1e-5 },
    projectionDim: CLIP_PROJECTION_DIM,
  },
};

/**
 * SPAI's patch feature: a spectral context vector plus, for each of the 12 backbone layers, six
 * similarities between the features of the patch and of its low- and high-frequency parts.
 */
export const SPAI_CONTEXT_DIM = 1024;
export const SPAI_BACKBONE_LAYERS = 12;
export const SPAI_SIMILARITIES_PER_LAYER = 6;
export const SPAI_FEATURE_DIM = SPAI_CONTEXT_DIM + SPAI_BACKBONE_LAYERS * SPAI_SIMILARITIES_PER_LAYER; // 1096
export const SPAI_PATCH_SIZE = 224;

export interface SpaiArchitecture {
  readonly backbone: VisionTransformerArchitecture;
  /** Width of the keys that score each patch in the spectral context attention. */
  readonly attentionKeyDim: number;
  readonly classifierHidden: number;
}

export const SPAI: Record<Tier, SpaiArchitecture> = {
  full: {
    backbone: { imageSize: SPAI_PATCH_SIZE, patchSize: 16, width: 768, layers: SPAI_BACKBONE_LAYERS, heads: 12, intermediate: 3072, layerNormEps: 1e-6 },
    attentionKeyDim: 512,
    classifierHidden: 1024,
  },
  tiny: {
    backbone: { imageSize: SPAI_PATCH_SIZE, patchSize: 16, width: 32, layers: SPAI_BACKBONE_LAYERS, heads: 2, intermediate: 64, layerNormEps: 1e-6 },
    attentionKeyDim: 16,
    classifierHidden: 16,
  },
};

export interface RrdbNetArchitecture {
  readonly numFeat: number;
  readonly numGrowCh: number;
  readonly numBlocks: number;
}

export const ESRGAN_SCALE = 4;

export const REAL_ESRGAN: Record<Tier, RrdbNetArchitecture> = {
  full: { numFeat: 64, numGrowCh: 32, numBlocks: 23 },
  tiny: { numFeat: 8, numGrowCh: 4, numBlocks: 1 },
};

export const TEXT_DETECTOR_LABELS = ['Fake', 'Real'] as const;

/** roberta-base's vocabulary; the replica's tokenizer uses the first ids of it (see robertaTokenizerFiles). */
export const ROBERTA_VOCAB_SIZE = 50265;
/** RoBERTa counts positions from padding_idx + 1 = 2, so 514 position embeddings hold 512 tokens. */
export const ROBERTA_PADDING_IDX = 1;
export const ROBERTA_MAX_POSITIONS = 514;
export const ROBERTA_MAX_TOKENS = ROBERTA_MAX_POSITIONS - ROBERTA_PADDING_IDX - 1;

export const TEXT_DETECTOR: Record<Tier, TextEncoderArchitecture> = {
  full: { vocabSize: ROBERTA_VOCAB_SIZE, width: 768, layers: 12, heads: 12, intermediate: 3072, maxPositions: ROBERTA_MAX_POSITIONS, layerNormEps: 1e-5 },
  tiny: { vocabSize: ROBERTA_VOCAB_SIZE, width: 32, layers: 1, heads: 2, intermediate: 64, maxPositions: ROBERTA_MAX_POSITIONS, layerNormEps: 1e-5, embeddingRank: 8 },
};

export interface StableDiffusionArchitecture {
  readonly textEncoder: TextEncoderArchitecture;
  readonly unetChannels: number;
  readonly unetHeads: number;
  readonly vaeChannels: number;
  readonly latentChannels: number;
  /** Each ×2 upsampling of the VAE decoder; three give SD's factor 8. */
  readonly vaeUpsamplings: number;
}

export const SD_TINY_TEXT_WIDTH = 32;
export const SD_LATENT_CHANNELS = 4;
export const SD_VAE_SCALE = 8;

export const STABLE_DIFFUSION: { readonly tiny: StableDiffusionArchitecture } = {
  tiny: {
    textEncoder: { vocabSize: CLIP_VOCAB_SIZE, width: SD_TINY_TEXT_WIDTH, layers: 1, heads: 2, intermediate: 64, maxPositions: CLIP_MAX_POSITIONS, layerNormEps: 1e-5, embeddingRank: 8 },
    unetChannels: 32,
    unetHeads: 2,
    vaeChannels: 16,
    latentChannels: SD_LATENT_CHANNELS,
    vaeUpsamplings: Math.log2(SD_VAE_SCALE),
  },
};

/** The SDXL additions: a second text tower with a projection, and the pooled-text + size conditioning of the UNet. */
export interface StableDiffusionXlArchitecture extends StableDiffusionArchitecture {
  readonly textEncoder2: TextEncoderArchitecture;
  /** Width of text_encoder_2's `text_embeds`, the UNet's pooled text conditioning. */
  readonly pooledWidth: number;
  /** Sinusoid width of each of the six time ids (256 in SDXL). */
  readonly timeIdChannels: number;
}

export const SDXL_TINY_TEXT_WIDTH = 32;
export const SDXL_TINY_TEXT_2_WIDTH = 48;
export const SDXL_TINY_POOLED_WIDTH = 40;
export const SDXL_TIME_IDS = 6;
/** Two layers, so that the penultimate hidden state SDXL conditions on differs from the last one. */
export const SDXL_TEXT_LAYERS = 2;

export const STABLE_DIFFUSION_XL: { readonly tiny: StableDiffusionXlArchitecture } = {
  tiny: {
    textEncoder: { ...STABLE_DIFFUSION.tiny.textEncoder, width: SDXL_TINY_TEXT_WIDTH, layers: SDXL_TEXT_LAYERS },
    textEncoder2: { ...STABLE_DIFFUSION.tiny.textEncoder, width: SDXL_TINY_TEXT_2_WIDTH, heads: 2, intermediate: 64, layers: SDXL_TEXT_LAYERS },
    pooledWidth: SDXL_TINY_POOLED_WIDTH,
    timeIdChannels: 8,
    unetChannels: 32,
    unetHeads: 2,
    vaeChannels: 8,
    latentChannels: SD_LATENT_CHANNELS,
    vaeUpsamplings: Math.log2(SD_VAE_SCALE),
  },
};
