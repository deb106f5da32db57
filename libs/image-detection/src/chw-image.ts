/**
 * A planar (channels, height, width) image, row-major within each channel: the value of channel
 * `c` at row `y`, column `x` is `data[(c * height + y) * width + x]`. SPAI expects RGB in [0, 1]:
 * float values as they are, or 8-bit samples (a Uint8Array), which stand for value / 255 and take
 * a quarter of the memory (a decoded 48-megapixel photo is 144 MB, not 576 MB).
 */
export interface ChwImage {
  readonly data: Float32Array | Uint8Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** Checks that the dimensions are positive integers and that `data` holds exactly that many values. */
export function assertChwImage(image: ChwImage): void {
  const { channels, height, width, data } = image;
  for (const [name, value] of [
    ['channels', channels],
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (data.length !== channels * height * width) {
    throw new RangeError(`expected ${channels}×${height}×${width} = ${channels * height * width} values, got ${data.length}`);
  }
}
