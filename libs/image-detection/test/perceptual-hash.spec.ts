import { seededRandom } from '@switchyard/testing/src/seeded-random';
import sharp from 'sharp';
import {
  hammingDistance,
  OversizedImageError,
  perceptualHash,
  perceptualHashFromHex,
  perceptualHashOfThumbnail,
  perceptualHashThumbnail,
  perceptualHashToHex,
  UndecodableImageError,
} from '../src';

const WIDTH = 320;
const HEIGHT = 240;

/**
 * A photo-like RGB image: a two-colour gradient sky, a few filled discs and rectangles in random
 * colours, and seeded pixel noise. Different seeds give unrelated images.
 */
function photoLike(seed: number): Buffer {
  const random = seededRandom(seed);
  const colour = () => [random() * 255, random() * 255, random() * 255];
  const [top, bottom] = [colour(), colour()];
  const angle = random() * Math.PI;
  const pixels = new Float64Array(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const t = Math.min(1, Math.max(0, ((x - WIDTH / 2) * Math.cos(angle) + (y - HEIGHT / 2) * Math.sin(angle)) / WIDTH + 0.5));
      for (let c = 0; c < 3; c++) pixels[(y * WIDTH + x) * 3 + c] = top[c] * (1 - t) + bottom[c] * t;
    }
  }
  for (let shape = 0; shape < 7; shape++) {
    const fill = colour();
    const [cx, cy] = [random() * WIDTH, random() * HEIGHT];
    const [rx, ry] = [20 + random() * 70, 20 + random() * 60];
    const disc = random() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(HEIGHT - 1, cy + ry); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(WIDTH - 1, cx + rx); x++) {
        const inside = disc ? ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 : Math.abs(x - cx) <= rx && Math.abs(y - cy) <= ry;
        if (inside) for (let c = 0; c < 3; c++) pixels[(y * WIDTH + x) * 3 + c] = fill[c];
      }
    }
  }
  const bytes = Buffer.alloc(pixels.length);
  for (let i = 0; i < pixels.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(pixels[i] + (random() - 0.5) * 24)));
  return bytes;
}

const raw = (pixels: Buffer, width = WIDTH, height = HEIGHT, channels: 1 | 3 | 4 = 3) => sharp(pixels, { raw: { width, height, channels } });

/**
 * The hash from the thumbnail with maths written independently of the implementation: the direct
 * (non-separable) orthonormal float64 DCT-II of the whole 32×32, the [1..8]×[1..8] block, median
 * by sorting numbers, bits as a string, row-major, most significant first.
 */
function referenceHash(thumbnail: Uint8Array): bigint {
  const N = 32;
  const alpha = (k: number) => (k === 0 ? Math.sqrt(1 / N) : Math.sqrt(2 / N));
  const coefficient = (u: number, v: number) => {
    let sum = 0;
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        sum += thumbnail[y * N + x] * Math.cos((Math.PI * (2 * y + 1) * u) / (2 * N)) * Math.cos((Math.PI * (2 * x + 1) * v) / (2 * N));
      }
    }
    return alpha(u) * alpha(v) * sum;
  };
  const block: number[] = [];
  for (let u = 1; u <= 8; u++) for (let v = 1; v <= 8; v++) block.push(coefficient(u, v));
  const sorted = [...block].sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  return BigInt(`0b${block.map((value) => (value > median ? '1' : '0')).join('')}`);
}

describe('perceptualHash', () => {
  const original = photoLike(1);
  let png: Buffer;
  let hash: bigint;

  beforeAll(async () => {
    png = await raw(original).png().toBuffer();
    hash = await perceptualHash(png);
  });

  it('is the DCT hash of the 32×32 grey thumbnail, computed independently', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const bytes = await raw(photoLike(seed)).jpeg({ quality: 85 }).toBuffer();
      const thumbnail = await perceptualHashThumbnail(bytes);
      expect(thumbnail).toHaveLength(32 * 32);
      const expected = referenceHash(thumbnail);
      expect(perceptualHashToHex(perceptualHashOfThumbnail(thumbnail))).toBe(perceptualHashToHex(expected));
      expect(await perceptualHash(bytes)).toBe(expected);
    }
  });

  it('is an unsigned 64-bit value with about half its bits set', () => {
    expect(hash).toBeGreaterThanOrEqual(0n);
    expect(hash).toBeLessThan(1n << 64n);
    expect(hammingDistance(hash, 0n)).toBe(32);
  });

  it('greys with Rec.601 luma, after flattening alpha onto white', async () => {
    const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    expect(new Set(await perceptualHashThumbnail(red))).toEqual(new Set([Math.round(0.299 * 255)]));
    const transparent = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    expect(new Set(await perceptualHashThumbnail(transparent))).toEqual(new Set([255]));
  });

  it('hashes a transparent image as it looks on white', async () => {
    const rgba = Buffer.alloc(WIDTH * HEIGHT * 4);
    for (let i = 0; i < WIDTH * HEIGHT; i++) {
      original.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = i % WIDTH < WIDTH / 2 ? 255 : 0;
    }
    const transparentPng = await raw(rgba, WIDTH, HEIGHT, 4).png().toBuffer();
    const onWhite = await raw(rgba, WIDTH, HEIGHT, 4).flatten({ background: '#ffffff' }).png().toBuffer();
    expect(await perceptualHash(transparentPng)).toBe(await perceptualHash(onWhite));
  });

  it('ignores the EXIF orientation (the stored pixels are hashed)', async () => {
    const plain = await raw(original).jpeg({ quality: 90 }).toBuffer();
    const tagged = await raw(original).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(tagged).metadata()).orientation).toBe(6);
    expect(await perceptualHash(tagged)).toBe(await perceptualHash(plain));
  });

  it('keeps near duplicates within 10 bits: JPEG at 95 and 60, half size, PNG', async () => {
    const variants = {
      jpeg95: await raw(original).jpeg({ quality: 95 }).toBuffer(),
      jpeg60: await raw(original).jpeg({ quality: 60 }).toBuffer(),
      half: await raw(original)
        .resize(WIDTH / 2, HEIGHT / 2)
        .png()
        .toBuffer(),
      halfJpeg: await raw(original)
        .resize(WIDTH / 2, HEIGHT / 2)
        .jpeg({ quality: 75 })
        .toBuffer(),
      webp: await raw(original).webp({ quality: 80 }).toBuffer(),
      png,
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const distance = hammingDistance(hash, await perceptualHash(bytes));
      expect({ name, distance, near: distance <= 10 }).toEqual({ name, distance, near: true });
    }
  });

  it('keeps near duplicates of other images close too', async () => {
    for (let seed = 20; seed < 26; seed++) {
      const pixels = photoLike(seed);
      const reference = await perceptualHash(await raw(pixels).png().toBuffer());
      const jpeg60 = await perceptualHash(await raw(pixels).jpeg({ quality: 60 }).toBuffer());
      const half = await perceptualHash(
        await raw(pixels)
          .resize(WIDTH / 2, HEIGHT / 2)
          .jpeg({ quality: 90 })
          .toBuffer(),
      );
      expect(hammingDistance(reference, jpeg60)).toBeLessThanOrEqual(10);
      expect(hammingDistance(reference, half)).toBeLessThanOrEqual(10);
    }
  });

  it('puts different images more than 10 bits apart, about 32 on average', async () => {
    const hashes: bigint[] = [];
    for (let seed = 100; seed < 112; seed++) hashes.push(await perceptualHash(await raw(photoLike(seed)).png().toBuffer()));
    const distances: number[] = [];
    for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) distances.push(hammingDistance(hashes[i], hashes[j]));
    expect(Math.min(...distances)).toBeGreaterThan(10);
    const mean = distances.reduce((sum, d) => sum + d, 0) / distances.length;
    expect(mean).toBeGreaterThan(24);
    expect(mean).toBeLessThan(40);
  });

  it('refuses bytes that are not an image, truncated images and SVG', async () => {
    await expect(perceptualHash(Buffer.from('not an image'))).rejects.toBeInstanceOf(UndecodableImageError);
    const jpeg = await raw(original).jpeg().toBuffer();
    await expect(perceptualHash(jpeg.subarray(0, jpeg.length / 2))).rejects.toBeInstanceOf(UndecodableImageError);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await expect(perceptualHash(svg)).rejects.toBeInstanceOf(UndecodableImageError);
  });

  it('refuses a decompression bomb from its header', async () => {
    const jpeg = Buffer.from(
      await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
        .jpeg()
        .toBuffer(),
    );
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    jpeg.writeUInt16BE(60_000, sof + 5);
    jpeg.writeUInt16BE(60_000, sof + 7);
    await expect(perceptualHash(jpeg)).rejects.toBeInstanceOf(OversizedImageError);
    await expect(perceptualHash(png, { maxPixels: 1000 })).rejects.toMatchObject({ width: WIDTH, height: HEIGHT, maxPixels: 1000 });
  });

  it('counts differing bits and round-trips hex', () => {
    const max = (1n << 64n) - 1n;
    expect(hammingDistance(0n, max)).toBe(64);
    expect(hammingDistance(0x8000000000000001n, 1n)).toBe(1);
    expect(hammingDistance(hash, hash)).toBe(0);
    expect(() => hammingDistance(-1n, 0n)).toThrow(RangeError);
    expect(() => hammingDistance(1n << 64n, 0n)).toThrow(RangeError);
    expect(perceptualHashToHex(1n)).toBe('0000000000000001');
    expect(perceptualHashFromHex(perceptualHashToHex(hash))).toBe(hash);
    expect(perceptualHashFromHex('FFFFFFFFFFFFFFFF')).toBe(max);
    expect(() => perceptualHashFromHex('123')).toThrow(RangeError);
    expect(() => perceptualHashOfThumbnail(new Uint8Array(10))).toThrow(RangeError);
  });
});
