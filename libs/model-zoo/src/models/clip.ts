import { GENERATED_MODELS, graphSignature } from '../manifest';
import { attr, GraphBuilder } from '../onnx/graph-builder';
import { causalMaskBias, layerNorm, linear, positionEmbedding, preNormEncoderLayer, tokenEmbedding } from '../layers/transformer';
import { clipTokenizerFiles } from '../tokenizer/clip-tokenizer-files';
import { addPositionTable, patchEmbedding, prependClassToken } from '../layers/vision';
import { CLIP, type TextEncoderArchitecture, type Tier, type VisionTransformerArchitecture } from './architectures';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.clip;
const VISION_FILE = 'onnx/vision_model.onnx';
const TEXT_FILE = 'onnx/text_model.onnx';

const ONNX_INT32 = 6;

/**
 * The CLIP text transformer: causal pre-norm layers, pooled at the end-of-text token.
 * `hiddenStates` are Hugging Face's `output_hidden_states`: the embeddings, then each layer's
 * output (before the final layer norm), layers + 1 of them.
 */
export function clipTextTower(
  g: GraphBuilder,
  arch: TextEncoderArchitecture,
  inputIds: string,
): { lastHiddenState: string; pooled: string; hiddenStates: readonly string[] } {
  let hidden = g.op('Add', [
    tokenEmbedding(g, inputIds, 'text.embeddings.token_embedding', arch.vocabSize, arch.width, arch.embeddingRank),
    positionEmbedding(g, inputIds, 'text.embeddings.position_embedding', arch.maxPositions, arch.width),
  ]);
  const causal = causalMaskBias(g, inputIds, arch.maxPositions);
  const hiddenStates = [hidden];
  for (let layer = 0; layer < arch.layers; layer++) {
    hidden = preNormEncoderLayer(g, hidden, `text.encoder.layer.${layer}`, { ...arch, activation: 'quick_gelu' }, causal);
    hiddenStates.push(hidden);
  }
  const lastHiddenState = layerNorm(g, hidden, 'text.final_layer_norm', arch.width, arch.layerNormEps);
  // As Hugging Face's CLIPTextTransformer: the end-of-text token has the highest id, so its
  // position is argmax(input_ids) (cast to int32 first, as HF does for ONNX export).
  const endOfText = g.op('ArgMax', [g.op('Cast', [inputIds], { to: attr.int(ONNX_INT32) })], { axis: attr.int(-1), keepdims: attr.int(1) });
  const pooled = g.op('GatherND', [lastHiddenState, endOfText], { batch_dims: attr.int(1) });
  return { lastHiddenState, pooled, hiddenStates };
}

/** The CLIP vision transformer: class token + patch tokens, pre-norm layers, pooled at the class token. */
function clipVisionTower(g: GraphBuilder, arch: VisionTransformerArchitecture, pixels: string): string {
  const patches = (arch.imageSize / arch.patchSize) ** 2;
  let hidden = patchEmbedding(g, pixels, 'vision.embeddings.patch_embedding', { channels: 3, width: arch.width, patch: arch.patchSize, bias: false });
  hidden = prependClassToken(g, hidden, 'vision.embeddings.class_embedding', arch.width);
  hidden = addPositionTable(g, hidden, 'vision.embeddings.position_embedding', patches + 1, arch.width);
  hidden = layerNorm(g, hidden, 'vision.pre_layernorm', arch.width, arch.layerNormEps);
  for (let layer = 0; layer < arch.layers; layer++) {
    hidden = preNormEncoderLayer(g, hidden, `vision.encoder.layer.${layer}`, { ...arch, activation: 'quick_gelu' });
  }
  const classToken = g.op('Gather', [hidden, g.constant('int64', [0], [])], { axis: attr.int(1) });
  return layerNorm(g, classToken, 'vision.post_layernorm', arch.width, arch.layerNormEps);
}

/** openai/clip-vit-base-patch32 as two graphs, image and text, each ending in the 512-d projection. */
export function buildClip(tier: Tier): ModelArtifacts {
  const arch = CLIP[tier];

  const vision = new GraphBuilder('clip-vision', graphSeed(MODEL.repoId, VISION_FILE, tier), graphSignature('clip', VISION_FILE));
  const pooledImage = clipVisionTower(vision, arch.vision, vision.input('pixel_values'));
  vision.output('image_embeds', linear(vision, pooledImage, 'visual_projection', arch.vision.width, arch.projectionDim, false));

  const text = new GraphBuilder('clip-text', graphSeed(MODEL.repoId, TEXT_FILE, tier), graphSignature('clip', TEXT_FILE));
  const { pooled } = clipTextTower(text, arch.text, text.input('input_ids'));
  text.output('text_embeds', linear(text, pooled, 'text_projection', arch.text.width, arch.projectionDim, false));

  return {
    graphs: [
      { path: VISION_FILE, graph: vision.build() },
      { path: TEXT_FILE, graph: text.build() },
    ],
    files: [
      jsonFile('config.json', {
        architectures: ['CLIPModel'],
        model_type: 'clip',
        projection_dim: arch.projectionDim,
        text_config: {
          hidden_act: 'quick_gelu',
          hidden_size: arch.text.width,
          intermediate_size: arch.text.intermediate,
          num_attention_heads: arch.text.heads,
          num_hidden_layers: arch.text.layers,
          max_position_embeddings: arch.text.maxPositions,
          vocab_size: arch.text.vocabSize,
          layer_norm_eps: arch.text.layerNormEps,
          projection_dim: arch.projectionDim,
        },
        vision_config: {
          hidden_act: 'quick_gelu',
          hidden_size: arch.vision.width,
          intermediate_size: arch.vision.intermediate,
          num_attention_heads: arch.vision.heads,
          num_hidden_layers: arch.vision.layers,
          image_size: arch.vision.imageSize,
          patch_size: arch.vision.patchSize,
          num_channels: 3,
          layer_norm_eps: arch.vision.layerNormEps,
          projection_dim: arch.projectionDim,
        },
      }),
      jsonFile('preprocessor_config.json', {
        feature_extractor_type: 'CLIPFeatureExtractor',
        image_processor_type: 'CLIPImageProcessor',
        do_resize: true,
        size: { shortest_edge: arch.vision.imageSize },
        resample: 3,
        do_center_crop: true,
        crop_size: { height: arch.vision.imageSize, width: arch.vision.imageSize },
        do_rescale: true,
        rescale_factor: 1 / 255,
        do_normalize: true,
        image_mean: [0.48145466, 0.4578275, 0.40821073],
        image_std: [0.26862954, 0.26130258, 0.27577711],
        do_convert_rgb: true,
      }),
      // A small test vocabulary in the real file format (see the package README).
      ...clipTokenizerFiles(arch.text.maxPositions),
    ],
  };
}
