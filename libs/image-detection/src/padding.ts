import { assertChwImage, type ChwImage } from './chw-image';

/**
 * OpenCV's `borderInterpolate` for `BORDER_REFLECT_101` (`gfedcb|abcdefgh|gfedcba`): maps an
 * out-of-range coordinate `p` back into `[0, length)`, reflecting about the edge pixels without
 * repeating them, as often as needed when the padding is wider than the image. A line of length 1
 * maps everything to 0.
 */
export function reflect101(p: number, length: number): number {
  if (length === 1) return 0;
  while (p < 0 || p >= length) p = p < 0 ? -p : 2 * (length - 1) - p;
  return p;
}

/** Rows or columns added before and after one axis. */
export interface AxisPadding {
  readonly before: number;
  readonly after: number;
}

/**
 * The padding albumentations' `PadIfNeeded(min_height, min_width)` adds at its default
 * `position="center"`: nothing on an axis already at least `minimum` long; otherwise half the
 * shortfall, rounded down, before (top or left) and the rest after (bottom or right).
 */
export function centredPadding(length: number, minimum: number): AxisPadding {
  if (length >= minimum) return { before: 0, after: 0 };
  const before = Math.floor((minimum - length) / 2);
  return { before, after: minimum - length - before };
}

/**
 * SPAI's inference padding (`A.PadIfNeeded(min_height=224, min_width=224)` in the reference's test
 * transform, with `TEST.ORIGINAL_RESOLUTION`): an image shorter than `minimum` on a side is padded to
 * exactly `minimum` on that side, centred, with reflect-101 borders (albumentations' default
 * `border_mode=cv2.BORDER_REFLECT_101`). A side already long enough is left alone, so a 100×500
 * image becomes 224×500. Returns the input itself when nothing needs padding.
 */
export function padToMinimum<Image extends ChwImage>(image: Image, minimum = 224): Image {
  assertChwImage(image);
  if (!Number.isInteger(minimum) || minimum < 1) throw new RangeError(`minimum must be a positive integer, got ${minimum}`);
  const { channels, height, width, data } = image;
  const vertical = centredPadding(height, minimum);
  const horizontal = centredPadding(width, minimum);
  if (vertical.before + vertical.after + horizontal.before + horizontal.after === 0) return image;

  const outHeight = height + vertical.before + vertical.after;
  const outWidth = width + horizontal.before + horizontal.after;
  const sourceColumns = Int32Array.from({ length: outWidth }, (_, x) => reflect101(x - horizontal.before, width));
  const out = data instanceof Uint8Array ? new Uint8Array(channels * outHeight * outWidth) : new Float32Array(channels * outHeight * outWidth);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outHeight; y++) {
      const sourceRow = (c * height + reflect101(y - vertical.before, height)) * width;
      const target = (c * outHeight + y) * outWidth;
      for (let x = 0; x < outWidth; x++) out[target + x] = data[sourceRow + sourceColumns[x]];
    }
  }
  return { ...image, data: out, height: outHeight, width: outWidth };
}
