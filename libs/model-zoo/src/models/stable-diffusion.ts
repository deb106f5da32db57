import { TierNotAvailableError } from '../errors';
import { GENERATED_MODELS, graphSignature } from '../manifest';
import { attr, GraphBuilder } from '../onnx/graph-builder';
import { linear, multiHeadAttention } from '../layers/transformer';
import { conv2d, upsampleNearest2x } from '../layers/vision';
import { CLIP_MAX_POSITIONS, SD_VAE_SCALE, STABLE_DIFFUSION, type StableDiffusionArchitecture, type Tier } from './architectures';
import { clipTextTower } from './clip';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.stableDiffusion;
const TEXT_ENCODER_FILE = 'text_encoder/model.onnx';
const UNET_FILE = 'unet/model.onnx';
const VAE_DECODER_FILE = 'vae_decoder/model.onnx';
const VAE_SCALING_FACTOR = 0.18215;

function silu(g: GraphBuilder, x: string): string {
  return g.op('Mul', [x, g.op('Sigmoid', [x])]);
}

function buildTextEncoder(arch: StableDiffusionArchitecture) {
  const g = new GraphBuilder('sd-text-encoder', graphSeed(MODEL.repoId, TEXT_ENCODER_FILE, 'tiny'), graphSignature('stableDiffusion', TEXT_ENCODER_FILE));
  const { lastHiddenState, pooled } = clipTextTower(g, arch.textEncoder, g.input('input_ids'));
  g.output('last_hidden_state', lastHiddenState);
  g.output('pooler_output', pooled);
  return g.build();
}

/** Sinusoidal embedding of the scalar timestep → [1,channels], then diffusers' two-layer MLP. */
function timestepEmbedding(g: GraphBuilder, timestep: string, channels: number): string {
  const half = channels / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const angles = g.op('Mul', [timestep, g.constant('float32', frequencies)]);
  const sinusoid = g.op('Unsqueeze', [g.op('Concat', [g.op('Cos', [angles]), g.op('Sin', [angles])], { axis: attr.int(0) }), g.int64s([0])]);
  const hidden = silu(g, linear(g, sinusoid, 'time_embedding.linear_1', channels, channels));
  return linear(g, hidden, 'time_embedding.linear_2', channels, channels);
}

/**
 * A one-level UNet: input convolution, timestep conditioning, one cross-attention over the text
 * states at every latent position, output convolution. Latent height and width are dynamic.
 */
function buildUnet(arch: StableDiffusionArchitecture) {
  const channels = arch.unetChannels;
  const g = new GraphBuilder('sd-unet', graphSeed(MODEL.repoId, UNET_FILE, 'tiny'), graphSignature('stableDiffusion', UNET_FILE));
  let hidden = conv2d(g, g.input('sample'), 'conv_in', { inChannels: arch.latentChannels, outChannels: channels, kernel: 3 });
  const time = g.op('Unsqueeze', [timestepEmbedding(g, g.input('timestep'), channels), g.int64s([2, 3])]);
  hidden = silu(g, g.op('Add', [hidden, time]));

  const tokens = g.op('Transpose', [g.op('Reshape', [hidden, g.int64s([0, channels, -1])])], { perm: attr.ints([0, 2, 1]) });
  const attended = multiHeadAttention(g, tokens, g.input('encoder_hidden_states'), 'cross_attention', {
    width: channels,
    heads: arch.unetHeads,
    sourceWidth: arch.textEncoder.width,
  });
  const merged = g.op('Transpose', [g.op('Add', [tokens, attended])], { perm: attr.ints([0, 2, 1]) });
  hidden = g.op('Reshape', [merged, g.op('Shape', [hidden])]);
  g.output('out_sample', conv2d(g, silu(g, hidden), 'conv_out', { inChannels: channels, outChannels: arch.latentChannels, kernel: 3 }));
  return g.build();
}

/** Latents [B,4,h,w] → image [B,3,8h,8w]: three ×2 nearest upsamplings, each followed by a convolution. */
function buildVaeDecoder(arch: StableDiffusionArchitecture) {
  const channels = arch.vaeChannels;
  const g = new GraphBuilder('sd-vae-decoder', graphSeed(MODEL.repoId, VAE_DECODER_FILE, 'tiny'), graphSignature('stableDiffusion', VAE_DECODER_FILE));
  let hidden = conv2d(g, g.input('latent_sample'), 'conv_in', { inChannels: arch.latentChannels, outChannels: channels, kernel: 3 });
  for (let block = 0; block < arch.vaeUpsamplings; block++) {
    hidden = silu(g, conv2d(g, upsampleNearest2x(g, hidden), `up_blocks.${block}.conv`, { inChannels: channels, outChannels: channels, kernel: 3 }));
  }
  g.output('sample', conv2d(g, hidden, 'conv_out', { inChannels: channels, outChannels: 3, kernel: 3 }));
  return g.build();
}

/**
 * stabilityai/sd-turbo's parts in diffusers' ONNX pipeline layout (text_encoder/, unet/,
 * vae_decoder/), tiny only. Its CLIP BPE tokenizer is not included (see the package README).
 */
export function buildStableDiffusion(tier: Tier): ModelArtifacts {
  if (tier !== 'tiny') throw new TierNotAvailableError(MODEL.repoId, tier);
  const arch = STABLE_DIFFUSION.tiny;
  const text = arch.textEncoder;
  return {
    graphs: [
      { path: TEXT_ENCODER_FILE, graph: buildTextEncoder(arch) },
      { path: UNET_FILE, graph: buildUnet(arch) },
      { path: VAE_DECODER_FILE, graph: buildVaeDecoder(arch) },
    ],
    files: [
      jsonFile('model_index.json', {
        _class_name: 'OnnxStableDiffusionPipeline',
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
      jsonFile('text_encoder/config.json', {
        architectures: ['CLIPTextModel'],
        model_type: 'clip_text_model',
        hidden_act: 'quick_gelu',
        hidden_size: text.width,
        intermediate_size: text.intermediate,
        num_attention_heads: text.heads,
        num_hidden_layers: text.layers,
        max_position_embeddings: CLIP_MAX_POSITIONS,
        vocab_size: text.vocabSize,
        layer_norm_eps: text.layerNormEps,
      }),
      jsonFile('unet/config.json', {
        _class_name: 'UNet2DConditionModel',
        in_channels: arch.latentChannels,
        out_channels: arch.latentChannels,
        sample_size: 64,
        cross_attention_dim: text.width,
        block_out_channels: [arch.unetChannels],
        attention_head_dim: arch.unetChannels / arch.unetHeads,
      }),
      jsonFile('vae_decoder/config.json', {
        _class_name: 'AutoencoderKL',
        latent_channels: arch.latentChannels,
        out_channels: 3,
        sample_size: 64 * SD_VAE_SCALE,
        scaling_factor: VAE_SCALING_FACTOR,
        block_out_channels: Array.from({ length: arch.vaeUpsamplings + 1 }, () => arch.vaeChannels),
        up_block_types: Array.from({ length: arch.vaeUpsamplings + 1 }, () => 'UpDecoderBlock2D'),
      }),
    ],
  };
}
