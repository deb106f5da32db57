import { assertChwImage, type ChwImage } from './chw-image';

/** SPAI's patch side and stride (`MODEL.PATCH_VIT.PATCH_STRIDE` = `DATA.IMG_SIZE` = 224). */
export const SPAI_PATCH_SIZE = 224;
/** Below this many grid patches SPAI five-crops instead (`MODEL.PATCH_VIT.MINIMUM_PATCHES`). */
export const SPAI_MINIMUM_PATCHES = 4;

/** The top-left corner of one square patch in the (padded) image. */
export interface PatchOrigin {
  readonly top: number;
  readonly left: number;
}

/** How an image of a given size is cut into patches. */
export interface PatchPlan {
  /** `grid`: stride-`size` tiling; `five-crop`: torchvision's `five_crop`, the grid having too few patches. */
  readonly mode: 'grid' | 'five-crop';
  /** The patches kept, in the order they are fed to the encoder. */
  readonly origins: readonly PatchOrigin[];
  /** How many patches the rule produced before any cap. */
  readonly total: number;
  /** `origins.length`: `total`, or `maxPatches` when the cap cut it down. */
  readonly used: number;
}

export interface PatchPlanOptions {
  /** Patch side; 224 unless told. */
  readonly size?: number;
  /** Distance between grid patches; `size` unless told. */
  readonly stride?: number;
  /** Fewer grid patches than this → five-crop; 4 unless told. */
  readonly minimumPatches?: number;
  /** Keep at most this many patches, chosen with {@link evenlySpacedIndices}; no cap unless told. */
  readonly maxPatches?: number;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Grid patch origins as `Tensor.unfold(2, size, stride).unfold(3, size, stride)` yields them
 * (the reference's `patchify_image`): rows top to bottom, each row left to right; a border
 * remainder narrower than `size` is dropped. Empty when the image is smaller than `size`.
 */
export function gridOrigins(height: number, width: number, size = SPAI_PATCH_SIZE, stride = size): PatchOrigin[] {
  const origins: PatchOrigin[] = [];
  for (let top = 0; top + size <= height; top += stride) {
    for (let left = 0; left + size <= width; left += stride) origins.push({ top, left });
  }
  return origins;
}

/** Python 3's `round(n / 2)` for an integer `n ≥ 0`: halves go to the even neighbour. */
export function halfToEven(n: number): number {
  const floor = Math.floor(n / 2);
  if (n % 2 === 0) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * torchvision's `five_crop(img, [size, size])` origins, in its order: top-left, top-right,
 * bottom-left, bottom-right, centre. The centre crop starts at `int(round((H - size) / 2.0))`
 * (torchvision's `center_crop`), and Python rounds halves to even: a 447-pixel side gives 112,
 * a 225-pixel side 0. Both sides must be at least `size`, which padding guarantees.
 */
export function fiveCropOrigins(height: number, width: number, size = SPAI_PATCH_SIZE): PatchOrigin[] {
  if (height < size || width < size) throw new RangeError(`five-crop of ${size} needs an image at least that large, got ${height}×${width}`);
  const bottom = height - size;
  const right = width - size;
  return [
    { top: 0, left: 0 },
    { top: 0, left: right },
    { top: bottom, left: 0 },
    { top: bottom, left: right },
    { top: halfToEven(bottom), left: halfToEven(right) },
  ];
}

/**
 * `count` of `total` indices, evenly spaced: the middle index of each of `count` equal runs,
 * `floor((2i + 1) · total / (2 · count))` for i = 0 … count − 1. Ascending and distinct; all of
 * them when `count ≥ total`. Over a raster-ordered grid this samples every region of the image,
 * not only its top rows. (SPAI itself has no cap; this is Switchyard's guard on very large images.)
 */
export function evenlySpacedIndices(total: number, count: number): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  positiveInteger('count', count);
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor(((2 * i + 1) * total) / (2 * count)));
}

/**
 * SPAI's patch rule for an image already padded to at least `size` on both sides (see
 * `padToMinimum`): the stride grid, or five-crop when the grid has fewer than `minimumPatches`
 * patches (models/sid.py, `forward_arbitrary_resolution_batch`); then the optional cap.
 */
export function planPatches(height: number, width: number, options: PatchPlanOptions = {}): PatchPlan {
  const size = positiveInteger('size', options.size ?? SPAI_PATCH_SIZE);
  const stride = positiveInteger('stride', options.stride ?? size);
  const minimumPatches = options.minimumPatches ?? SPAI_MINIMUM_PATCHES;
  positiveInteger('height', height);
  positiveInteger('width', width);
  const grid = gridOrigins(height, width, size, stride);
  const mode = grid.length < minimumPatches ? 'five-crop' : 'grid';
  const all = mode === 'grid' ? grid : fiveCropOrigins(height, width, size);
  const kept = options.maxPatches === undefined ? all : evenlySpacedIndices(all.length, options.maxPatches).map((i) => all[i]);
  return { mode, origins: kept, total: all.length, used: kept.length };
}

/**
 * Copies square patches out of an image into one [L, C, size, size] float buffer, patch after
 * patch, in the order of `origins`; 8-bit samples become value / 255.
 */
export function extractPatches(image: ChwImage, origins: readonly PatchOrigin[], size = SPAI_PATCH_SIZE): Float32Array {
  assertChwImage(image);
  const out = new Float32Array(origins.length * image.channels * size * size);
  origins.forEach((origin, index) => copyPatch(image, origin, out, index, size));
  return out;
}

/** Writes the patch at `origin` as patch number `index` of `out`, a [L, C, size, size] buffer. */
export function copyPatch(image: ChwImage, { top, left }: PatchOrigin, out: Float32Array, index: number, size = SPAI_PATCH_SIZE): void {
  const { channels, height, width, data } = image;
  if (top < 0 || left < 0 || top + size > height || left + size > width) {
    throw new RangeError(`patch at (${top}, ${left}) of side ${size} leaves the ${height}×${width} image`);
  }
  const patchStart = index * channels * size * size;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < size; y++) {
      const source = (c * height + top + y) * width + left;
      const target = patchStart + (c * size + y) * size;
      if (data instanceof Float32Array) out.set(data.subarray(source, source + size), target);
      else for (let x = 0; x < size; x++) out[target + x] = data[source + x] / 255;
    }
  }
}
