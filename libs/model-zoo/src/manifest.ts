import {
  CLIP_IMAGE_SIZE,
  CLIP_PROJECTION_DIM,
  ESRGAN_SCALE,
  MINILM_HIDDEN_SIZE,
  SD_LATENT_CHANNELS,
  SD_TINY_TEXT_WIDTH,
  SD_VAE_SCALE,
  SDXL_TEXT_LAYERS,
  SDXL_TIME_IDS,
  SDXL_TINY_POOLED_WIDTH,
  SDXL_TINY_TEXT_2_WIDTH,
  SDXL_TINY_TEXT_WIDTH,
  SPAI_FEATURE_DIM,
  SPAI_PATCH_SIZE,
  TEXT_DETECTOR_LABELS,
  type Tier,
} from './models/architectures';
import { UnknownGraphError } from './errors';
import type { GraphSignature, TensorSignature } from './signature';

export interface GeneratedModel {
  /** Hugging Face repository id; also the folder under `<outDir>/<tier>/`. */
  readonly repoId: string;
  readonly tiers: readonly Tier[];
  readonly graphs: readonly GraphSignature[];
  /** Other files written beside the graphs (configs, tokenizer), paths inside the repository. */
  readonly files: readonly string[];
}

const tokens = (name: string): TensorSignature => ({ name, type: 'int64', dims: ['batch_size', 'sequence_length'] });

const spaiPatches = (name: string): TensorSignature => ({ name, type: 'float32', dims: ['batch_size', 3, SPAI_PATCH_SIZE, SPAI_PATCH_SIZE] });
const spaiFeatures = (name: string): TensorSignature => ({ name, type: 'float32', dims: ['batch_size', SPAI_FEATURE_DIM] });
const spaiAggregator = (file: string): GraphSignature => ({
  file,
  inputs: [{ name: 'input.1', type: 'float32', dims: ['batch_size', 'num_patches', SPAI_FEATURE_DIM] }],
  outputs: [{ name: '89', type: 'float32', dims: ['batch_size', 1] }],
});

const DIFFUSERS_TOKENIZER_FILES = (folder: string) =>
  ['tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'].map((file) => `${folder}/${file}`);

const vaeDecoder = (): GraphSignature => ({
  file: 'vae_decoder/model.onnx',
  inputs: [{ name: 'latent_sample', type: 'float32', dims: ['batch_size', SD_LATENT_CHANNELS, 'latent_height', 'latent_width'] }],
  outputs: [{ name: 'sample', type: 'float32', dims: ['batch_size', 3, `latent_height * ${SD_VAE_SCALE}`, `latent_width * ${SD_VAE_SCALE}`] }],
});

/** Hugging Face's `output_hidden_states` as optimum names them: the embeddings, then each layer's output. */
const hiddenStates = (layers: number, width: number): TensorSignature[] =>
  Array.from({ length: layers + 1 }, (_, index) => ({ name: `hidden_states.${index}`, type: 'float32', dims: ['batch_size', 'sequence_length', width] }));

/** optimum's SDXL export (text encoders with hidden states, UNet with the pooled text and size conditioning), as one model per repository. */
const stableDiffusionXl = (repoId: string): GeneratedModel => ({
  repoId,
  tiers: ['tiny'],
  graphs: [
    {
      file: 'text_encoder/model.onnx',
      inputs: [{ name: 'input_ids', type: 'int32', dims: ['batch_size', 'sequence_length'] }],
      outputs: [
        { name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', SDXL_TINY_TEXT_WIDTH] },
        { name: 'pooler_output', type: 'float32', dims: ['batch_size', SDXL_TINY_TEXT_WIDTH] },
        ...hiddenStates(SDXL_TEXT_LAYERS, SDXL_TINY_TEXT_WIDTH),
      ],
    },
    {
      file: 'text_encoder_2/model.onnx',
      inputs: [{ name: 'input_ids', type: 'int32', dims: ['batch_size', 'sequence_length'] }],
      outputs: [
        { name: 'text_embeds', type: 'float32', dims: ['batch_size', SDXL_TINY_POOLED_WIDTH] },
        { name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', SDXL_TINY_TEXT_2_WIDTH] },
        ...hiddenStates(SDXL_TEXT_LAYERS, SDXL_TINY_TEXT_2_WIDTH),
      ],
    },
    {
      file: 'unet/model.onnx',
      inputs: [
        { name: 'sample', type: 'float32', dims: ['batch_size', SD_LATENT_CHANNELS, 'height', 'width'] },
        { name: 'timestep', type: 'float32', dims: [1] },
        { name: 'encoder_hidden_states', type: 'float32', dims: ['batch_size', 'sequence_length', SDXL_TINY_TEXT_WIDTH + SDXL_TINY_TEXT_2_WIDTH] },
        { name: 'text_embeds', type: 'float32', dims: ['batch_size', SDXL_TINY_POOLED_WIDTH] },
        { name: 'time_ids', type: 'float32', dims: ['batch_size', SDXL_TIME_IDS] },
      ],
      outputs: [{ name: 'out_sample', type: 'float32', dims: ['batch_size', SD_LATENT_CHANNELS, 'height', 'width'] }],
    },
    vaeDecoder(),
  ],
  files: [
    'model_index.json',
    'scheduler/scheduler_config.json',
    'text_encoder/config.json',
    'text_encoder_2/config.json',
    'unet/config.json',
    'vae_decoder/config.json',
    ...DIFFUSERS_TOKENIZER_FILES('tokenizer'),
    ...DIFFUSERS_TOKENIZER_FILES('tokenizer_2'),
  ],
});

const BERT_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];
const BYTE_LEVEL_BPE_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'];

/**
 * Every model the zoo generates, with the exact input/output names, types and dynamic axes of
 * the real exports. Graph builders declare their inputs and outputs from these signatures.
 */
export const GENERATED_MODELS = {
  miniLm: {
    repoId: 'sentence-transformers/all-MiniLM-L6-v2',
    tiers: ['tiny', 'full'],
    graphs: [
      {
        file: 'onnx/model.onnx',
        inputs: [tokens('input_ids'), tokens('attention_mask'), tokens('token_type_ids')],
        outputs: [{ name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', MINILM_HIDDEN_SIZE] }],
      },
    ],
    files: ['config.json', ...BERT_TOKENIZER_FILES, 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json'],
  },
  clip: {
    repoId: 'openai/clip-vit-base-patch32',
    tiers: ['tiny', 'full'],
    graphs: [
      {
        file: 'onnx/vision_model.onnx',
        inputs: [{ name: 'pixel_values', type: 'float32', dims: ['batch_size', 3, CLIP_IMAGE_SIZE, CLIP_IMAGE_SIZE] }],
        outputs: [{ name: 'image_embeds', type: 'float32', dims: ['batch_size', CLIP_PROJECTION_DIM] }],
      },
      {
        // As Optimum exports CLIPTextModelWithProjection: no attention_mask. The causal mask and
        // pooling at the end-of-text token make padding after it irrelevant.
        file: 'onnx/text_model.onnx',
        inputs: [tokens('input_ids')],
        outputs: [{ name: 'text_embeds', type: 'float32', dims: ['batch_size', CLIP_PROJECTION_DIM] }],
      },
    ],
    files: ['config.json', 'preprocessor_config.json', ...BYTE_LEVEL_BPE_TOKENIZER_FILES],
  },
  spai: {
    repoId: 'mever-team/spai',
    tiers: ['tiny', 'full'],
    // Both forms of `python -m spai export-onnx`, each in a folder laid out like the export's
    // `OUT/finetune/<tag>/onnx/`. Its tensor names are not pinned (the reference's validator feeds by
    // position), so these are placeholders in the exporter's style, deliberately unalike across
    // files: consumers must match tensors by position, shape and type.
    graphs: [
      {
        // Default form: the spectral split and ImageNet normalisation inside; patches in [0,1].
        file: 'onnx/patch_encoder.onnx',
        inputs: [spaiPatches('input.1')],
        outputs: [spaiFeatures('1543')],
      },
      spaiAggregator('onnx/patch_aggregator.onnx'),
      {
        // `--exclude-preprocessing`: the patch and its two bands, each ImageNet-normalised.
        file: 'exclude-preprocessing/onnx/patch_encoder.onnx',
        inputs: [spaiPatches('x'), spaiPatches('x_low'), spaiPatches('x_high')],
        outputs: [spaiFeatures('1544')],
      },
      spaiAggregator('exclude-preprocessing/onnx/patch_aggregator.onnx'),
    ],
    files: ['config.json'],
  },
  realEsrgan: {
    repoId: 'ai-forever/Real-ESRGAN',
    tiers: ['tiny', 'full'],
    graphs: [
      {
        file: 'onnx/RealESRGAN_x4plus.onnx',
        inputs: [{ name: 'input', type: 'float32', dims: ['batch_size', 3, 'height', 'width'] }],
        outputs: [{ name: 'output', type: 'float32', dims: ['batch_size', 3, `height * ${ESRGAN_SCALE}`, `width * ${ESRGAN_SCALE}`] }],
      },
      {
        // The same weights as the reference's scripts/pytorch2onnx.py exports them: a fixed 1×3×64×64
        // input, no dynamic axes, and tensor names torch made up (consumers feed by position).
        file: 'onnx/RealESRGAN_x4plus_fixed64.onnx',
        inputs: [{ name: 'input.1', type: 'float32', dims: [1, 3, 64, 64] }],
        outputs: [{ name: '1895', type: 'float32', dims: [1, 3, 64 * ESRGAN_SCALE, 64 * ESRGAN_SCALE] }],
      },
    ],
    files: ['config.json'],
  },
  textDetector: {
    // The ONNX export the text detector serves (of openai-community/roberta-base-openai-detector).
    repoId: 'onnx-community/roberta-base-openai-detector-ONNX',
    tiers: ['tiny', 'full'],
    graphs: [
      {
        file: 'onnx/model.onnx',
        inputs: [tokens('input_ids'), tokens('attention_mask')],
        outputs: [{ name: 'logits', type: 'float32', dims: ['batch_size', TEXT_DETECTOR_LABELS.length] }],
      },
    ],
    // As onnx-community/roberta-base-openai-detector-ONNX lays it out: the graph under onnx/, the rest at the top.
    files: ['config.json', ...BYTE_LEVEL_BPE_TOKENIZER_FILES],
  },
  stableDiffusion: {
    repoId: 'stabilityai/sd-turbo',
    tiers: ['tiny'],
    // As the sd-turbo export of onnxruntime-inference-examples' js/sd-turbo: int32 input_ids, int64 timestep of shape [1].
    graphs: [
      {
        file: 'text_encoder/model.onnx',
        inputs: [{ name: 'input_ids', type: 'int32', dims: ['batch_size', 'sequence_length'] }],
        outputs: [
          { name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', SD_TINY_TEXT_WIDTH] },
          { name: 'pooler_output', type: 'float32', dims: ['batch_size', SD_TINY_TEXT_WIDTH] },
        ],
      },
      {
        file: 'unet/model.onnx',
        inputs: [
          { name: 'sample', type: 'float32', dims: ['batch_size', SD_LATENT_CHANNELS, 'height', 'width'] },
          { name: 'timestep', type: 'int64', dims: [1] },
          { name: 'encoder_hidden_states', type: 'float32', dims: ['batch_size', 'sequence_length', SD_TINY_TEXT_WIDTH] },
        ],
        outputs: [{ name: 'out_sample', type: 'float32', dims: ['batch_size', SD_LATENT_CHANNELS, 'height', 'width'] }],
      },
      vaeDecoder(),
    ],
    files: [
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/config.json',
      'unet/config.json',
      'vae_decoder/config.json',
      ...DIFFUSERS_TOKENIZER_FILES('tokenizer'),
    ],
  },
  stableDiffusionXl: stableDiffusionXl('playgroundai/playground-v2.5-1024px-aesthetic'),
  stableDiffusionXlTurbo: stableDiffusionXl('stabilityai/sdxl-turbo'),
  aestheticHead: {
    // LAION's aesthetic predictor head for CLIP ViT-B/32 embeddings, converted from its .pth to safetensors.
    repoId: 'LAION-AI/aesthetic-predictor',
    tiers: ['tiny', 'full'],
    graphs: [],
    files: ['sa_0_4_vit_b_32_linear.safetensors', 'config.json'],
  },
} as const satisfies Record<string, GeneratedModel>;

export type ModelKey = keyof typeof GENERATED_MODELS;

export const MODEL_KEYS = Object.keys(GENERATED_MODELS) as ModelKey[];

/** The signature of one graph of a model, found by its file name. */
export function graphSignature(model: ModelKey, file: string): GraphSignature {
  const graph = (GENERATED_MODELS[model].graphs as readonly GraphSignature[]).find((candidate) => candidate.file === file);
  if (!graph) throw new UnknownGraphError(GENERATED_MODELS[model].repoId, file);
  return graph;
}

export function hasTier(model: ModelKey, tier: Tier): boolean {
  return (GENERATED_MODELS[model].tiers as readonly Tier[]).includes(tier);
}
