/** Size categories, smallest first; the order is what `sizeFitsWithin` compares. */
export const MODEL_SIZES = ['tiny', 'small', 'medium', 'large'] as const;

export type ModelSize = (typeof MODEL_SIZES)[number];

/** Whether a model of `size` may run where `max` is the largest size allowed (like the seed's MAX_VPS_INFERENCE_SIZE). */
export function sizeFitsWithin(size: ModelSize, max: ModelSize): boolean {
  return MODEL_SIZES.indexOf(size) <= MODEL_SIZES.indexOf(max);
}
