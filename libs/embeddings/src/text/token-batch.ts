import { Tensor } from 'onnxruntime-node';
import type { TokenizedText } from './text-tokenizer';

/** Tokenized texts padded to the longest of them, row-major [size, length]. */
export interface TokenBatch {
  readonly size: number;
  readonly length: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
}

/** Pads each text to the longest of the batch (not to the model's maximum length) with `padId`, masked out. */
export function padTokenBatch(items: readonly TokenizedText[], padId: number): TokenBatch {
  const size = items.length;
  const length = Math.max(...items.map((item) => item.ids.length));
  const inputIds = new BigInt64Array(size * length).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(size * length);
  const tokenTypeIds = new BigInt64Array(size * length);
  items.forEach((item, row) => {
    const offset = row * length;
    item.ids.forEach((id, position) => {
      inputIds[offset + position] = BigInt(id);
      attentionMask[offset + position] = 1n;
      tokenTypeIds[offset + position] = BigInt(item.typeIds[position]);
    });
  });
  return { size, length, inputIds, attentionMask, tokenTypeIds };
}

/** The token inputs a text model knows by name. */
export const TOKEN_INPUT_NAMES = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export type TokenInputName = (typeof TOKEN_INPUT_NAMES)[number];

/** The batch as feeds for the named inputs of a model (exports differ in which they take). */
export function tokenFeeds(batch: TokenBatch, inputs: readonly TokenInputName[]): Record<string, Tensor> {
  const data: Record<TokenInputName, BigInt64Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  return Object.fromEntries(inputs.map((name) => [name, new Tensor('int64', data[name], [batch.size, batch.length])]));
}
