import type { BertArchitecture } from '../../src';
import { add, gelu, layerNorm, matmul, softmaxInPlace, type Matrix } from './reference-math';

export type Weights = (name: string) => Float32Array;

const MASK_BIAS = -1e9;

function attention(w: Weights, prefix: string, x: Matrix, mask: readonly number[], arch: BertArchitecture): Matrix {
  const seq = mask.length;
  const { width, heads } = arch;
  const headWidth = width / heads;
  const project = (name: string) => matmul(x, seq, width, w(`${prefix}.${name}.weight`), width, w(`${prefix}.${name}.bias`));
  const [q, k, v] = [project('query'), project('key'), project('value')];
  const context = new Float64Array(seq * width);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < seq; i++) {
      const scores = new Float64Array(seq);
      for (let j = 0; j < seq; j++) {
        let dot = 0;
        for (let d = 0; d < headWidth; d++) dot += q[i * width + h * headWidth + d] * k[j * width + h * headWidth + d];
        scores[j] = dot / Math.sqrt(headWidth) + (1 - mask[j]) * MASK_BIAS;
      }
      softmaxInPlace(scores);
      for (let d = 0; d < headWidth; d++) {
        let sum = 0;
        for (let j = 0; j < seq; j++) sum += scores[j] * v[j * width + h * headWidth + d];
        context[i * width + h * headWidth + d] = sum;
      }
    }
  }
  return matmul(context, seq, width, w(`${prefix}.output.weight`), width, w(`${prefix}.output.bias`));
}

/**
 * BERT's forward pass for one sequence, written from the paper's definition and the generator's
 * tensor names only. Returns the last hidden state [S, width].
 */
export function bertLastHiddenState(
  w: Weights,
  arch: BertArchitecture,
  inputIds: readonly number[],
  attentionMask: readonly number[],
  tokenTypeIds: readonly number[],
  /** BERT counts positions from 0; RoBERTa from padding_idx + 1. */
  positionIds: readonly number[] = inputIds.map((_, i) => i),
): Matrix {
  const { width, layerNormEps: eps } = arch;
  const seq = inputIds.length;
  const rank = arch.embeddingRank;
  const wordTable = w('embeddings.word_embeddings.weight');
  const positions = w('embeddings.position_embeddings.weight');
  const types = w('embeddings.token_type_embeddings.weight');
  let hidden: Matrix = new Float64Array(seq * width);
  for (let i = 0; i < seq; i++) {
    const word = rank
      ? matmul(wordTable.subarray(inputIds[i] * rank, (inputIds[i] + 1) * rank), 1, rank, w('embeddings.word_embeddings.projection'), width)
      : wordTable.subarray(inputIds[i] * width, (inputIds[i] + 1) * width);
    for (let c = 0; c < width; c++) {
      hidden[i * width + c] = word[c] + positions[positionIds[i] * width + c] + types[tokenTypeIds[i] * width + c];
    }
  }
  hidden = layerNorm(hidden, seq, width, w('embeddings.layer_norm.weight'), w('embeddings.layer_norm.bias'), eps);
  for (let layer = 0; layer < arch.layers; layer++) {
    const prefix = `encoder.layer.${layer}`;
    const attended = add(hidden, attention(w, `${prefix}.attention`, hidden, attentionMask, arch));
    const h = layerNorm(attended, seq, width, w(`${prefix}.attention_norm.weight`), w(`${prefix}.attention_norm.bias`), eps);
    const inner = gelu(matmul(h, seq, width, w(`${prefix}.mlp.fc1.weight`), arch.intermediate, w(`${prefix}.mlp.fc1.bias`)));
    const mlp = matmul(inner, seq, arch.intermediate, w(`${prefix}.mlp.fc2.weight`), width, w(`${prefix}.mlp.fc2.bias`));
    hidden = layerNorm(add(h, mlp), seq, width, w(`${prefix}.mlp_norm.weight`), w(`${prefix}.mlp_norm.bias`), eps);
  }
  return hidden;
}
