/**
 * sentence-transformers' mean pooling: per text, the average of its token vectors where the
 * attention mask is 1 (padding excluded). `hidden` is row-major [batch, length, width].
 */
export function meanPool(hidden: Float32Array, attentionMask: BigInt64Array, batch: number, length: number, width: number): Float32Array[] {
  if (hidden.length !== batch * length * width) {
    throw new RangeError(`Hidden states hold ${hidden.length} values, expected ${batch}×${length}×${width}`);
  }
  return Array.from({ length: batch }, (_, row) => {
    const sum = new Float64Array(width);
    let tokens = 0;
    for (let position = 0; position < length; position++) {
      if (attentionMask[row * length + position] === 0n) continue;
      tokens += 1;
      const offset = (row * length + position) * width;
      for (let i = 0; i < width; i++) sum[i] += hidden[offset + i];
    }
    // sentence-transformers clamps the count to 1e-9, so an all-padding row pools to zeros.
    const count = Math.max(tokens, 1e-9);
    return Float32Array.from(sum, (value) => value / count);
  });
}
