import { attr, type GraphBuilder } from '../onnx/graph-builder';
import { EMBEDDING_INIT } from '../layers/initializers';
import { layerNorm, paddingMaskBias, positionEmbedding, postNormEncoderLayer, tokenEmbedding } from '../layers/transformer';
import type { TextEncoderArchitecture } from './architectures';

export interface BertInputs {
  readonly inputIds: string;
  readonly attentionMask: string;
  /** Segment ids with their table size; models without segments (RoBERTa-style) leave it out. */
  readonly tokenTypes?: { readonly ids: string; readonly vocabSize: number };
}

/**
 * A BERT encoder: word + position (+ segment) embeddings, layer norm, then post-norm layers whose
 * attention ignores padded positions. Returns the last hidden state [B,S,width].
 */
export function bertEncoder(g: GraphBuilder, arch: TextEncoderArchitecture, inputs: BertInputs): string {
  let hidden = g.op('Add', [
    tokenEmbedding(g, inputs.inputIds, 'embeddings.word_embeddings', arch.vocabSize, arch.width, arch.embeddingRank),
    positionEmbedding(g, inputs.inputIds, 'embeddings.position_embeddings', arch.maxPositions, arch.width),
  ]);
  if (inputs.tokenTypes) {
    const table = g.weight('embeddings.token_type_embeddings.weight', [inputs.tokenTypes.vocabSize, arch.width], EMBEDDING_INIT);
    hidden = g.op('Add', [hidden, g.op('Gather', [table, inputs.tokenTypes.ids], { axis: attr.int(0) })]);
  }
  hidden = layerNorm(g, hidden, 'embeddings.layer_norm', arch.width, arch.layerNormEps);
  const scoreBias = paddingMaskBias(g, inputs.attentionMask);
  for (let layer = 0; layer < arch.layers; layer++) {
    hidden = postNormEncoderLayer(g, hidden, `encoder.layer.${layer}`, { ...arch, activation: 'gelu' }, scoreBias);
  }
  return hidden;
}
