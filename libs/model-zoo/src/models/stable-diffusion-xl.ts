import { TierNotAvailableError } from '../errors';
import { GENERATED_MODELS, type ModelKey } from '../manifest';
import { attr, type GraphBuilder } from '../onnx/graph-builder';
import { linear } from '../layers/transformer';
import { clipTokenizerFiles } from '../tokenizer/clip-tokenizer-files';
import { CLIP_MAX_POSITIONS, SD_VAE_SCALE, SDXL_TIME_IDS, STABLE_DIFFUSION_XL, type TextEncoderArchitecture, type Tier } from './architectures';
import { clipTextTower } from './clip';
import { jsonFile, type ModelArtifacts } from './model-artifacts';
import {
  buildUnet,
  buildVaeDecoder,
  diffusionGraph,
  silu,
  sinusoid,
  TEXT_ENCODER_FILE,
  textEncoderConfig,
  UNET_FILE,
  VAE_DECODER_FILE,
  vaeDecoderConfig,
} from './stable-diffusion';

const TEXT_ENCODER_2_FILE = 'text_encoder_2/model.onnx';
const ARCH = STABLE_DIFFUSION_XL.tiny;

/** What tells one SDXL checkpoint from another in the replica: its scheduler and its VAE's latent scaling. */
interface SdxlCheckpoint {
  readonly scheduler: Record<string, unknown>;
  readonly vaeScaling: Record<string, unknown>;
}

const EULER_BETAS = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' };

const CHECKPOINTS: Record<'stableDiffusionXl' | 'stableDiffusionXlTurbo', SdxlCheckpoint> = {
  // playgroundai/playground-v2.5-1024px-aesthetic's scheduler/scheduler_config.json and VAE latent statistics.
  stableDiffusionXl: {
    scheduler: {
      _class_name: 'EDMDPMSolverMultistepScheduler',
      algorithm_type: 'dpmsolver++',
      dynamic_thresholding_ratio: 0.995,
      euler_at_final: false,
      final_sigmas_type: 'zero',
      lower_order_final: true,
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      rho: 7.0,
      sample_max_value: 1.0,
      sigma_data: 0.5,
      sigma_max: 80.0,
      sigma_min: 0.002,
      solver_order: 2,
      solver_type: 'midpoint',
      thresholding: false,
    },
    vaeScaling: { scaling_factor: 0.5, latents_mean: [-1.6574, 1.886, -1.383, 2.5155], latents_std: [8.4927, 5.9022, 6.5498, 5.2299] },
  },
  // stabilityai/sdxl-turbo's: Euler ancestral with trailing spacing, SDXL's VAE scaling.
  stableDiffusionXlTurbo: {
    scheduler: {
      _class_name: 'EulerAncestralDiscreteScheduler',
      ...EULER_BETAS,
      clip_sample: false,
      interpolation_type: 'linear',
      sample_max_value: 1.0,
      set_alpha_to_one: false,
      skip_prk_steps: true,
      steps_offset: 1,
      timestep_spacing: 'trailing',
      trained_betas: null,
      use_karras_sigmas: false,
    },
    vaeScaling: { scaling_factor: 0.13025 },
  },
};

/** A CLIP text tower with every hidden state as an output; with `projection`, CLIPTextModelWithProjection's text_embeds. */
function textEncoder(model: ModelKey, file: string, text: TextEncoderArchitecture, projection?: number) {
  const g = diffusionGraph(model, file);
  const { lastHiddenState, pooled, hiddenStates } = clipTextTower(g, text, g.input('input_ids'));
  if (projection === undefined) g.output('pooler_output', pooled);
  else g.output('text_embeds', linear(g, pooled, 'text_projection', text.width, projection, false));
  g.output('last_hidden_state', lastHiddenState);
  hiddenStates.forEach((state, index) => g.output(`hidden_states.${index}`, state));
  return g.build();
}

/** SDXL's "text_time" addition: sinusoids of the six time ids beside the pooled text, through a two-layer MLP. */
function textTimeEmbedding(g: GraphBuilder): string {
  const timeIds = g.op('Reshape', [sinusoid(g, g.input('time_ids'), ARCH.timeIdChannels), g.int64s([0, -1])]);
  const conditioning = g.op('Concat', [g.input('text_embeds'), timeIds], { axis: attr.int(1) });
  const width = ARCH.pooledWidth + SDXL_TIME_IDS * ARCH.timeIdChannels;
  const hidden = silu(g, linear(g, conditioning, 'add_embedding.linear_1', width, ARCH.unetChannels));
  return linear(g, hidden, 'add_embedding.linear_2', ARCH.unetChannels, ARCH.unetChannels);
}

/**
 * An SDXL checkpoint's parts as optimum exports them (two text encoders with their hidden states,
 * a UNet conditioned on the pooled text and the size ids, the VAE decoder), with both tokenizers;
 * tiny only.
 */
export function buildStableDiffusionXl(model: keyof typeof CHECKPOINTS, tier: Tier): ModelArtifacts {
  if (tier !== 'tiny') throw new TierNotAvailableError(GENERATED_MODELS[model].repoId, tier);
  const { scheduler, vaeScaling } = CHECKPOINTS[model];
  const textWidth = ARCH.textEncoder.width + ARCH.textEncoder2.width;
  return {
    graphs: [
      { path: TEXT_ENCODER_FILE, graph: textEncoder(model, TEXT_ENCODER_FILE, ARCH.textEncoder) },
      { path: TEXT_ENCODER_2_FILE, graph: textEncoder(model, TEXT_ENCODER_2_FILE, ARCH.textEncoder2, ARCH.pooledWidth) },
      { path: UNET_FILE, graph: buildUnet(diffusionGraph(model, UNET_FILE), { arch: ARCH, textWidth, addedEmbedding: textTimeEmbedding }) },
      { path: VAE_DECODER_FILE, graph: buildVaeDecoder(diffusionGraph(model, VAE_DECODER_FILE), ARCH) },
    ],
    files: [
      // As optimum writes it for an SDXL export: the pipeline's own config, its VAE split into encoder and decoder.
      jsonFile('model_index.json', {
        _class_name: 'StableDiffusionXLPipeline',
        force_zeros_for_empty_prompt: true,
        add_watermarker: null,
        scheduler: ['diffusers', scheduler._class_name],
        text_encoder: ['transformers', 'CLIPTextModel'],
        text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
        tokenizer: ['transformers', 'CLIPTokenizer'],
        tokenizer_2: ['transformers', 'CLIPTokenizer'],
        unet: ['diffusers', 'UNet2DConditionModel'],
        vae_decoder: ['diffusers', 'AutoencoderKL'],
      }),
      jsonFile('scheduler/scheduler_config.json', scheduler),
      jsonFile('text_encoder/config.json', textEncoderConfig('CLIPTextModel', ARCH.textEncoder)),
      jsonFile('text_encoder_2/config.json', textEncoderConfig('CLIPTextModelWithProjection', ARCH.textEncoder2, { projection_dim: ARCH.pooledWidth })),
      jsonFile('unet/config.json', {
        _class_name: 'UNet2DConditionModel',
        in_channels: ARCH.latentChannels,
        out_channels: ARCH.latentChannels,
        sample_size: 128,
        cross_attention_dim: textWidth,
        block_out_channels: [ARCH.unetChannels],
        attention_head_dim: ARCH.unetChannels / ARCH.unetHeads,
        addition_embed_type: 'text_time',
        addition_time_embed_dim: ARCH.timeIdChannels,
        projection_class_embeddings_input_dim: ARCH.pooledWidth + SDXL_TIME_IDS * ARCH.timeIdChannels,
        time_cond_proj_dim: null,
      }),
      vaeDecoderConfig(ARCH, { sample_size: 128 * SD_VAE_SCALE, ...vaeScaling }),
      ...clipTokenizerFiles(CLIP_MAX_POSITIONS, { folder: 'tokenizer/', withTokenizerJson: false }),
      ...clipTokenizerFiles(CLIP_MAX_POSITIONS, { folder: 'tokenizer_2/', padToken: '!', withTokenizerJson: false }),
    ],
  };
}
