import sharp from 'sharp';
import { decodeSpaiImage, OversizedImageError, SpaiImageError, UndecodableImageError, type ChwImage } from '../src';

const LIMITS = { maxPixels: 1_000_000 };

/** Interleaved samples of a width×height image with `channels` channels, each a distinct function of (x, y, c). */
function samples(width: number, height: number, channels: number, max = 255): number[] {
  const values: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) values.push((x * 37 + y * 101 + c * 59 + x * y * 13) % (max + 1));
    }
  }
  return values;
}

/** The planar 8-bit samples expected from interleaved 8-bit RGB. */
function chwOf(rgb: readonly number[], width: number, height: number): number[] {
  const plane = width * height;
  return Array.from({ length: 3 * plane }, (_, i) => rgb[(i % plane) * 3 + Math.floor(i / plane)]);
}

function rawImage(values: readonly number[], width: number, height: number, channels: 1 | 2 | 3 | 4) {
  return sharp(Buffer.from(values), { raw: { width, height, channels } });
}

function shapeOf(image: ChwImage) {
  return [image.channels, image.height, image.width];
}

/** A 1×1 JPEG whose frame header (SOF0) is rewritten to claim width×height. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer(),
  );
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  // Marker (2), length (2), precision (1), then height and width.
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

describe('decodeSpaiImage', () => {
  it('gives an RGB PNG as planar 8-bit samples at its own size', async () => {
    const rgb = samples(5, 3, 3);
    const image = await decodeSpaiImage(await rawImage(rgb, 5, 3, 3).png().toBuffer(), LIMITS);
    expect(shapeOf(image)).toEqual([3, 3, 5]);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(image.data)).toEqual(chwOf(rgb, 5, 3));
  });

  it('replicates a grey image into three channels', async () => {
    const grey = samples(4, 4, 1);
    const png = await rawImage(grey, 4, 4, 1).toColourspace('b-w').png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const image = await decodeSpaiImage(png, LIMITS);
    expect(Array.from(image.data)).toEqual(
      chwOf(
        grey.flatMap((v) => [v, v, v]),
        4,
        4,
      ),
    );
  });

  it('drops alpha without compositing, keeping the colour under transparent pixels', async () => {
    const rgba = samples(4, 3, 4);
    // Make some pixels fully transparent: their colour must survive as is.
    for (let i = 3; i < rgba.length; i += 8) rgba[i] = 0;
    const png = await rawImage(rgba, 4, 3, 4).png().toBuffer();
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    const image = await decodeSpaiImage(png, LIMITS);
    const rgb = rgba.filter((_, i) => i % 4 !== 3);
    expect(Array.from(image.data)).toEqual(chwOf(rgb, 4, 3));
  });

  it('turns a 16-bit PNG into 8 bits by its high byte', async () => {
    // Low bytes of 0xff: the high byte (v >> 8) and rounding (v / 257) disagree on these.
    const wide = samples(3, 2, 3).map((v) => (v << 8) | 0xff);
    const png = await sharp(Uint16Array.from(wide), { raw: { width: 3, height: 2, channels: 3 } })
      .toColourspace('rgb16')
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const image = await decodeSpaiImage(png, LIMITS);
    expect(Array.from(image.data)).toEqual(chwOf(samples(3, 2, 3), 3, 2));
  });

  it('does not apply EXIF orientation, as Pillow does not', async () => {
    // 16 wide, 8 high: the left half red, the right half blue. Orientation 6 would display it 8 wide, 16 high.
    const rgb = Array.from({ length: 16 * 8 }, (_, i) => (i % 16 < 8 ? [255, 0, 0] : [0, 0, 255])).flat();
    const jpeg = await rawImage(rgb, 16, 8, 3).withMetadata({ orientation: 6 }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const image = await decodeSpaiImage(jpeg, LIMITS);
    expect(shapeOf(image)).toEqual([3, 8, 16]);
    // Lossy, but each value stays near the one stored, unrotated.
    const expected = chwOf(rgb, 16, 8);
    const worst = Math.max(...Array.from(image.data, (v, i) => Math.abs(v - expected[i])));
    expect(worst).toBeLessThan(8);
  });

  it('takes the first frame of an animated image', async () => {
    const first = Array.from({ length: 3 * 3 * 3 }, (_, i) => [255, 0, 0][i % 3]);
    const second = Array.from({ length: 3 * 3 * 3 }, (_, i) => [0, 0, 255][i % 3]);
    // Two 3×3 frames stacked, written as a two-page animated WebP.
    const webp = await sharp(Buffer.from([...first, ...second]), { raw: { width: 3, height: 6, channels: 3, pageHeight: 3 } })
      .webp({ lossless: true, loop: 0, delay: [100, 100] })
      .toBuffer();
    expect((await sharp(webp, { pages: -1 }).metadata()).pages).toBe(2);
    const image = await decodeSpaiImage(webp, LIMITS);
    expect(shapeOf(image)).toEqual([3, 3, 3]);
    expect(Array.from(image.data)).toEqual(chwOf(first, 3, 3));
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const cmyk = await sharp({ create: { width: 6, height: 4, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const image = await decodeSpaiImage(cmyk, LIMITS);
    expect(shapeOf(image)).toEqual([3, 4, 6]);
    // Through sharp's CMYK profile and back: near the colour, not exact.
    const plane = 6 * 4;
    const [r, g, b] = [0, 1, 2].map((c) => image.data[c * plane]);
    expect(r).toBeGreaterThan(g + 100);
    expect(Math.abs(g - b)).toBeLessThan(20);
  });

  it('refuses a header claiming more pixels than the limit, before decoding', async () => {
    const bomb = await jpegClaiming(60_000, 60_000);
    expect(bomb.length).toBeLessThan(1000);
    const error = await decodeSpaiImage(bomb, LIMITS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OversizedImageError);
    expect(error).toBeInstanceOf(SpaiImageError);
    expect(error).toMatchObject({ code: 'oversized_image', width: 60_000, height: 60_000, maxPixels: 1_000_000 });
    expect((error as Error).message).toBe('Image too large: 60000×60000 pixels is more than the limit of 1000000 pixels');
  });

  it('applies the configured limit to ordinary images too', async () => {
    const png = await rawImage(samples(5, 3, 3), 5, 3, 3)
      .png()
      .toBuffer();
    await expect(decodeSpaiImage(png, { maxPixels: 14 })).rejects.toThrow(OversizedImageError);
    await expect(decodeSpaiImage(png, { maxPixels: 15 })).resolves.toMatchObject({ width: 5, height: 3 });
  });

  it('refuses random bytes, a truncated JPEG and SVG with a typed error', async () => {
    const random = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256));
    await expect(decodeSpaiImage(random, LIMITS)).rejects.toThrow(UndecodableImageError);
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 20, b: 30 } } })
      .jpeg()
      .toBuffer();
    const truncated = await decodeSpaiImage(jpeg.subarray(0, jpeg.length / 2), LIMITS).catch((e: unknown) => e);
    expect(truncated).toBeInstanceOf(UndecodableImageError);
    expect(truncated).toMatchObject({ code: 'undecodable_image' });
    expect((truncated as UndecodableImageError).reason).not.toBe('');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
    await expect(decodeSpaiImage(svg, LIMITS)).rejects.toThrow(new UndecodableImageError('svg is not a raster image format'));
  });
});
