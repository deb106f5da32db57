/** One tile along one axis, in input pixels: the part it keeps [start, end) and the window the model sees [padStart, padEnd). */
export interface AxisSpan {
  readonly start: number;
  readonly end: number;
  readonly padStart: number;
  readonly padEnd: number;
}

/** One tile of an image: its column and row spans. */
export interface TileRect {
  readonly x: AxisSpan;
  readonly y: AxisSpan;
}

/**
 * The tiles of one axis as RealESRGANer.tile_process cuts them: `tile`-long pieces from 0, the
 * last one shorter, each window extended by `pad` real neighbours clipped at the edges.
 */
export function axisSpans(length: number, tile: number, pad: number): AxisSpan[] {
  const spans: AxisSpan[] = [];
  for (let start = 0; start < length; start += tile) {
    const end = Math.min(start + tile, length);
    spans.push({ start, end, padStart: Math.max(start - pad, 0), padEnd: Math.min(end + pad, length) });
  }
  return spans;
}

/** Every tile of a width×height image, row by row as the reference numbers them. */
export function tilePlan(width: number, height: number, tileWidth: number, tileHeight: number, pad: number): TileRect[] {
  const columns = axisSpans(width, tileWidth, pad);
  return axisSpans(height, tileHeight, pad).flatMap((y) => columns.map((x) => ({ x, y })));
}

/**
 * The source of position `index` of a reflect-padded line of `length` real values (numpy/PyTorch
 * 'reflect', the edge value not repeated), repeating the reflection for padding longer than the line.
 */
export function reflectIndex(index: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * (length - 1);
  const folded = index % period;
  return folded < length ? folded : period - folded;
}
