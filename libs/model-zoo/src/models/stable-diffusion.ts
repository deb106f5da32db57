import { TierNotAvailableError } from '../errors';
import { GENERATED_MODELS, graphSignature, type ModelKey } from '../manifest';
import { attr, GraphBuilder } from '../onnx/graph-builder';
import { linear, multiHeadAttention } from '../layers/transformer';
import { conv2d, upsampleNearest2x } from '../layers/vision';
import { clipTokenizerFiles } from '../tokenizer/clip-tokenizer-files';
import { CLIP_MAX_POSITIONS, SD_VAE_SCALE, STABLE_DIFFUSION, type StableDiffusionArchitecture, type TextEncoderArchitecture, type Tier } from './architectures';
import { clipTextTower } from './clip';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts, type TextFile } from './model-artifacts';

export const TEXT_ENCODER_FILE = 'text_encoder/model.onnx';
export const UNET_FILE = 'unet/model.onnx';
export const VAE_DECODER_FILE = 'vae_decoder/model.onnx';
const SD_VAE_SCALING_FACTOR = 0.18215;
const ONNX_FLOAT = 1;

/** A graph of one of the diffusion replicas, seeded and declared after its manifest entry. */
export function diffusionGraph(model: ModelKey, file: string): GraphBuilder {
  return new GraphBuilder(`${model}:${file}`, graphSeed(GENERATED_MODELS[model].repoId, file, 'tiny'), graphSignature(model, file));
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op('Mul', [x, g.op('Sigmoid', [x])]);
}

/** cos/sin of `values` (any shape, float) times `channels / 2` frequencies, along a new last axis. */
export function sinusoid(g: GraphBuilder, values: string, channels: number): string {
  const half = channels / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const angles = g.op('Mul', [g.op('Unsqueeze', [values, g.int64s([-1])]), g.constant('float32', frequencies)]);
  return g.op('Concat', [g.op('Cos', [angles]), g.op('Sin', [angles])], { axis: attr.int(-1) });
}

/** The timestep ([1] or a scalar, int64 or float) → sinusoid [1,channels], then diffusers' two-layer MLP. */
function timestepEmbedding(g: GraphBuilder, timestep: string, channels: number): string {
  const time = g.op('Reshape', [g.op('Cast', [timestep], { to: attr.int(ONNX_FLOAT) }), g.int64s([1])]);
  const hidden = silu(g, linear(g, sinusoid(g, time, channels), 'time_embedding.linear_1', channels, channels));
  return linear(g, hidden, 'time_embedding.linear_2', channels, channels);
}

export interface UnetShape {
  readonly arch: StableDiffusionArchitecture;
  /** Width of `encoder_hidden_states`. */
  readonly textWidth: number;
  /** SDXL's extra conditioning, [B,channels], added to the timestep embedding; none for SD. */
  readonly addedEmbedding?: (g: GraphBuilder) => string;
}

/**
 * A one-level UNet: input convolution, timestep conditioning, one cross-attention over the text
 * states at every latent position, output convolution. Latent height and width are dynamic.
 */
export function buildUnet(g: GraphBuilder, { arch, textWidth, addedEmbedding }: UnetShape) {
  const channels = arch.unetChannels;
  let hidden = conv2d(g, g.input('sample'), 'conv_in', { inChannels: arch.latentChannels, outChannels: channels, kernel: 3 });
  let embedding = timestepEmbedding(g, g.input('timestep'), channels);
  if (addedEmbedding) embedding = g.op('Add', [embedding, addedEmbedding(g)]);
  hidden = silu(g, g.op('Add', [hidden, g.op('Unsqueeze', [embedding, g.int64s([2, 3])])]));

  const tokens = g.op('Transpose', [g.op('Reshape', [hidden, g.int64s([0, channels, -1])])], { perm: attr.ints([0, 2, 1]) });
  const attended = multiHeadAttention(g, tokens, g.input('encoder_hidden_states'), 'cross_attention', {
    width: channels,
    heads: arch.unetHeads,
    sourceWidth: textWidth,
  });
  const merged = g.op('Transpose', [g.op('Add', [tokens, attended])], { perm: attr.ints([0, 2, 1]) });
  hidden = g.op('Reshape', [merged, g.op('Shape', [hidden])]);
  g.output('out_sample', conv2d(g, silu(g, hidden), 'conv_out', { inChannels: channels, outChannels: arch.latentChannels, kernel: 3 }));
  return g.build();
}

/** Latents [B,4,h,w] → image [B,3,8h,8w]: three ×2 nearest upsamplings, each followed by a convolution. */
export function buildVaeDecoder(g: GraphBuilder, arch: StableDiffusionArchitecture) {
  const channels = arch.vaeChannels;
  let hidden = conv2d(g, g.input('latent_sample'), 'conv_in', { inChannels: arch.latentChannels, outChannels: channels, kernel: 3 });
  for (let block = 0; block < arch.vaeUpsamplings; block++) {
    hidden = silu(g, conv2d(g, upsampleNearest2x(g, hidden), `up_blocks.${block}.conv`, { inChannels: channels, outChannels: channels, kernel: 3 }));
  }
  g.output('sample', conv2d(g, hidden, 'conv_out', { inChannels: channels, outChannels: 3, kernel: 3 }));
  return g.build();
}

export function textEncoderConfig(architecture: string, text: TextEncoderArchitecture, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: [architecture],
    model_type: 'clip_text_model',
    hidden_act: 'quick_gelu',
    hidden_size: text.width,
    intermediate_size: text.intermediate,
    num_attention_heads: text.heads,
    num_hidden_layers: text.layers,
    max_position_embeddings: CLIP_MAX_POSITIONS,
    vocab_size: text.vocabSize,
    layer_norm_eps: text.layerNormEps,
    ...extra,
  };
}

export function vaeDecoderConfig(arch: StableDiffusionArchitecture, scaling: Record<string, unknown>): TextFile {
  return jsonFile('vae_decoder/config.json', {
    _class_name: 'AutoencoderKL',
    latent_channels: arch.latentChannels,
    out_channels: 3,
    block_out_channels: Array.from({ length: arch.vaeUpsamplings + 1 }, () => arch.vaeChannels),
    up_block_types: Array.from({ length: arch.vaeUpsamplings + 1 }, () => 'UpDecoderBlock2D'),
    ...scaling,
  });
}

/**
 * stabilityai/sd-turbo's parts in diffusers' ONNX pipeline layout (text_encoder/, unet/,
 * vae_decoder/, tokenizer/ with a small test vocabulary and sd-turbo's pad token `!`), tiny only.
 */
export function buildStableDiffusion(tier: Tier): ModelArtifacts {
  if (tier !== 'tiny') throw new TierNotAvailableError(GENERATED_MODELS.stableDiffusion.repoId, tier);
  const arch = STABLE_DIFFUSION.tiny;
  const text = arch.textEncoder;
  const encoder = diffusionGraph('stableDiffusion', TEXT_ENCODER_FILE);
  const { lastHiddenState, pooled } = clipTextTower(encoder, text, encoder.input('input_ids'));
  encoder.output('last_hidden_state', lastHiddenState);
  encoder.output('pooler_output', pooled);
  return {
    graphs: [
      { path: TEXT_ENCODER_FILE, graph: encoder.build() },
      { path: UNET_FILE, graph: buildUnet(diffusionGraph('stableDiffusion', UNET_FILE), { arch, textWidth: text.width }) },
      { path: VAE_DECODER_FILE, graph: buildVaeDecoder(diffusionGraph('stableDiffusion', VAE_DECODER_FILE), arch) },
    ],
    files: [
      jsonFile('model_index.json', {
        _class_name: 'OnnxStableDiffusionPipeline',
        requires_safety_checker: false,
        scheduler: ['diffusers', 'EulerDiscreteScheduler'],
        text_encoder: ['diffusers', 'OnnxRuntimeModel'],
        tokenizer: ['transformers', 'CLIPTokenizer'],
        unet: ['diffusers', 'OnnxRuntimeModel'],
        vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
      }),
      jsonFile('scheduler/scheduler_config.json', {
        _class_name: 'EulerDiscreteScheduler',
        num_train_timesteps: 1000,
        beta_start: 0.00085,
        beta_end: 0.012,
        beta_schedule: 'scaled_linear',
        prediction_type: 'epsilon',
        timestep_spacing: 'trailing',
        steps_offset: 1,
        interpolation_type: 'linear',
        use_karras_sigmas: false,
      }),
      jsonFile('text_encoder/config.json', textEncoderConfig('CLIPTextModel', text)),
      jsonFile('unet/config.json', {
        _class_name: 'UNet2DConditionModel',
        in_channels: arch.latentChannels,
        out_channels: arch.latentChannels,
        sample_size: 64,
        cross_attention_dim: text.width,
        block_out_channels: [arch.unetChannels],
        attention_head_dim: arch.unetChannels / arch.unetHeads,
      }),
      vaeDecoderConfig(arch, { sample_size: 64 * SD_VAE_SCALE, scaling_factor: SD_VAE_SCALING_FACTOR }),
      ...clipTokenizerFiles(CLIP_MAX_POSITIONS, { folder: 'tokenizer/', padToken: '!', withTokenizerJson: false }),
    ],
  };
}
