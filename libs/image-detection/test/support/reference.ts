/**
 * Independent float64 re-statements of the reference's steps, written the literal way (full DFTs,
 * fftshift by index, the mask built the way filters.py builds it), to check the library against.
 */

import { seededRandom } from '@switchyard/testing';

export function randomValues(length: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length }, () => next());
}

/** numpy's `pad(mode="reflect")` index: the line mirrored about its end pixels, repeated with period 2(L − 1). */
export function mirroredIndex(p: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * (length - 1);
  const q = ((p % period) + period) % period;
  return q < length ? q : period - q;
}

/** filters.py's mask: coordinates `cat(arange(N/2).flip(), arange(N/2))`, norm strictly below the radius. */
export function referenceMask(size: number, radius: number): number[][] {
  const half = Array.from({ length: size / 2 }, (_, i) => i);
  const coords = [...[...half].reverse(), ...half];
  return coords.map((y) => coords.map((x) => (Math.hypot(x, y) < radius ? 1 : 0)));
}

type Complex = { re: number[][]; im: number[][] };

function dft2(re: number[][], im: number[][], sign: -1 | 1): Complex {
  const n = re.length;
  const cos: number[][] = [];
  const sin: number[][] = [];
  for (let k = 0; k < n; k++) {
    cos.push(Array.from({ length: n }, (_, j) => Math.cos((2 * Math.PI * k * j) / n)));
    sin.push(Array.from({ length: n }, (_, j) => sign * Math.sin((2 * Math.PI * k * j) / n)));
  }
  const pass = (inRe: number[][], inIm: number[][]): Complex => {
    // Transforms every row: out[y][k] = Σj in[y][j]·(cos + i·sin)[k][j].
    const outRe = inRe.map(() => new Array<number>(n).fill(0));
    const outIm = inRe.map(() => new Array<number>(n).fill(0));
    for (let y = 0; y < n; y++) {
      for (let k = 0; k < n; k++) {
        let r = 0;
        let i = 0;
        for (let j = 0; j < n; j++) {
          r += inRe[y][j] * cos[k][j] - inIm[y][j] * sin[k][j];
          i += inRe[y][j] * sin[k][j] + inIm[y][j] * cos[k][j];
        }
        outRe[y][k] = r;
        outIm[y][k] = i;
      }
    }
    return { re: outRe, im: outIm };
  };
  const transpose = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
  const rows = pass(re, im);
  const columns = pass(transpose(rows.re), transpose(rows.im));
  const scale = sign === 1 ? 1 / (n * n) : 1;
  return { re: transpose(columns.re).map((r) => r.map((v) => v * scale)), im: transpose(columns.im).map((r) => r.map((v) => v * scale)) };
}

/** torch.fft.fftshift (shift = N/2 on both axes; for even N, ifftshift is the same permutation). */
function shift(m: number[][]): number[][] {
  const n = m.length;
  return m.map((_, y) => m[(y + n / 2) % n].map((_, x) => m[(y + n / 2) % n][(x + n / 2) % n]));
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));

/** filter_image_frequencies on one plane, then the clamps of MFViT: both bands, each from its own inverse DFT. */
export function referenceBands(plane: ArrayLike<number>, size: number, radius: number): { low: number[]; high: number[] } {
  const image = Array.from({ length: size }, (_, y) => Array.from({ length: size }, (_, x) => plane[y * size + x]));
  const zeros = image.map((row) => row.map(() => 0));
  const spectrum = dft2(image, zeros, -1);
  const shiftedRe = shift(spectrum.re);
  const shiftedIm = shift(spectrum.im);
  const mask = referenceMask(size, radius);
  const band = (keep: (m: number) => number) => {
    const re = shift(shiftedRe.map((row, y) => row.map((v, x) => v * keep(mask[y][x]))));
    const im = shift(shiftedIm.map((row, y) => row.map((v, x) => v * keep(mask[y][x]))));
    return dft2(re, im, 1).re.flat().map(clamp);
  };
  return { low: band((m) => m), high: band((m) => 1 - m) };
}

export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
