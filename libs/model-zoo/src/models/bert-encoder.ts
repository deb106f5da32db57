import { attr, type GraphBuilder } from '../onnx/graph-builder';
import { EMBEDDING_INIT } from '../layers/initializers';
import { layerNorm, paddingMaskBias, positionEmbedding, postNormEncoderLayer, tokenEmbedding } from '../layers/transformer';
import type { TextEncoderArchitecture } from './architectures';

export interface BertInputs {
  readonly inputIds: string;
  readonly attentionMask: string;
  /**
   * Segment ids with their table size. RoBERTa-style models take no segment input but keep a
   * one-row table that every token adds (leave `ids` out); models without any leave this out.
   */
  readonly tokenTypes?: { readonly ids?: string; readonly vocabSize: number };
  /** RoBERTa's positions: counted from `paddingIdx + 1` over non-padding ids, padding at `paddingIdx`. BERT's 0, 1, … unless given. */
  readonly robertaPositions?: { readonly paddingIdx: number };
}

/**
 * A BERT encoder: word + position (+ segment) embeddings, layer norm, then post-norm layers whose
 * attention ignores padded positions. Returns the last hidden state [B,S,width].
 */
export function bertEncoder(g: GraphBuilder, arch: TextEncoderArchitecture, inputs: BertInputs): string {
  const positions = inputs.robertaPositions
    ? robertaPositionEmbedding(g, inputs.inputIds, arch, inputs.robertaPositions.paddingIdx)
    : positionEmbedding(g, inputs.inputIds, 'embeddings.position_embeddings', arch.maxPositions, arch.width);
  let hidden = g.op('Add', [tokenEmbedding(g, inputs.inputIds, 'embeddings.word_embeddings', arch.vocabSize, arch.width, arch.embeddingRank), positions]);
  if (inputs.tokenTypes) {
    const table = g.weight('embeddings.token_type_embeddings.weight', [inputs.tokenTypes.vocabSize, arch.width], EMBEDDING_INIT);
    const segments = inputs.tokenTypes.ids === undefined ? table : g.op('Gather', [table, inputs.tokenTypes.ids], { axis: attr.int(0) });
    hidden = g.op('Add', [hidden, segments]);
  }
  hidden = layerNorm(g, hidden, 'embeddings.layer_norm', arch.width, arch.layerNormEps);
  const scoreBias = paddingMaskBias(g, inputs.attentionMask);
  for (let layer = 0; layer < arch.layers; layer++) {
    hidden = postNormEncoderLayer(g, hidden, `encoder.layer.${layer}`, { ...arch, activation: 'gelu' }, scoreBias);
  }
  return hidden;
}

const ONNX_INT64 = 7;

/** transformers' create_position_ids_from_input_ids: cumsum(ids ≠ pad) · (ids ≠ pad) + pad, looked up in the position table. */
function robertaPositionEmbedding(g: GraphBuilder, ids: string, arch: TextEncoderArchitecture, paddingIdx: number): string {
  const padding = g.constant('int64', [paddingIdx], []);
  const notPadding = g.op('Cast', [g.op('Not', [g.op('Equal', [ids, padding])])], { to: attr.int(ONNX_INT64) });
  const counted = g.op('Mul', [g.op('CumSum', [notPadding, g.constant('int64', [1], [])]), notPadding]);
  const positionIds = g.op('Add', [counted, padding]);
  const table = g.weight('embeddings.position_embeddings.weight', [arch.maxPositions, arch.width], EMBEDDING_INIT);
  return g.op('Gather', [table, positionIds], { axis: attr.int(0) });
}
