import { assertChwImage, type ChwImage } from './chw-image';
import { padToMinimum } from './padding';
import { extractPatches, planPatches, SPAI_PATCH_SIZE, type PatchPlan } from './patches';
import type { SpaiEncoderInputs, SpectralFilter } from './spectral-filter';

export interface SpaiPatchOptions {
  /** Keep at most this many patches (evenly spaced, see `evenlySpacedIndices`); no cap unless told. */
  readonly maxPatches?: number;
}

/** An image cut into SPAI's patches, still in [0, 1]: the input of the encoder exported with the FFT inside. */
export interface SpaiPatches {
  readonly plan: PatchPlan;
  /** The image's size after padding, which the patch origins refer to. */
  readonly paddedHeight: number;
  readonly paddedWidth: number;
  /** [plan.used, 3, 224, 224]. */
  readonly patches: Float32Array;
}

/** An image padded to SPAI's minimum and the patches it is cut into, before any is copied out. */
export interface SpaiPatchPlan {
  /** The image after padding, which the plan's origins refer to (the input itself when nothing needed padding). */
  readonly padded: ChwImage;
  readonly plan: PatchPlan;
}

/**
 * Padding, then patching, as the reference prepares one image at inference: pad to 224 on a short
 * side (`padToMinimum`), tile with 224-pixel patches at stride 224, five-crop when that gives fewer
 * than 4, then apply the optional cap. `image` is RGB, CHW, in [0, 1].
 */
export function spaiPatchPlan(image: ChwImage, options: SpaiPatchOptions = {}): SpaiPatchPlan {
  assertChwImage(image);
  if (image.channels !== 3) throw new RangeError(`SPAI takes RGB images, got ${image.channels} channels`);
  const padded = padToMinimum(image, SPAI_PATCH_SIZE);
  return { padded, plan: planPatches(padded.height, padded.width, { maxPatches: options.maxPatches }) };
}

/** {@link spaiPatchPlan} with every planned patch copied out. */
export function spaiPatches(image: ChwImage, options: SpaiPatchOptions = {}): SpaiPatches {
  const { padded, plan } = spaiPatchPlan(image, options);
  return { plan, paddedHeight: padded.height, paddedWidth: padded.width, patches: extractPatches(padded, plan.origins) };
}

/**
 * Everything the `--exclude-preprocessing` patch encoder needs for one image: {@link spaiPatches},
 * then the spectral split and ImageNet normalisation of `filter` (224, radius 16 for SPAI).
 */
export function spaiEncoderInputs(image: ChwImage, filter: SpectralFilter, options: SpaiPatchOptions = {}): SpaiPatches & SpaiEncoderInputs {
  if (filter.size !== SPAI_PATCH_SIZE) throw new RangeError(`the filter is for ${filter.size}-pixel patches, SPAI's are ${SPAI_PATCH_SIZE}`);
  const cut = spaiPatches(image, options);
  return { ...cut, ...filter.encoderInputs(cut.patches, cut.plan.used) };
}
