/** torch.nn.functional.normalize's guard against dividing by zero, as sentence-transformers uses it. */
const NORM_EPSILON = 1e-12;

/** The vector scaled to length 1 (a zero vector stays zero). */
export function l2Normalize(vector: Float32Array): Float32Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const scale = 1 / Math.max(Math.sqrt(squares), NORM_EPSILON);
  return vector.map((value) => value * scale);
}

/** The first `dimensions` components, normalized again (OpenAI's `dimensions` parameter). */
export function truncateDimensions(vector: Float32Array, dimensions: number): Float32Array {
  if (dimensions >= vector.length) return vector;
  return l2Normalize(vector.subarray(0, dimensions));
}

/**
 * The vector as JSON numbers with 9 significant digits: enough to give back exactly the same
 * float32 values, and about half the text of a float32 widened to a double.
 */
export function toJsonVector(vector: Float32Array): number[] {
  return Array.from(vector, (value) => Number(value.toPrecision(9)));
}
