import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { ImageTooLargeError, InvalidImageError } from '@switchyard/outbound';
import { centerCrop, ClipImagePreprocessor, resizedSize } from '../src';
import { CLIP_VIT_B32_SETTINGS, clipValue, pixelAt, pngOf, type Rgb } from './support/images';

const SETTINGS = CLIP_VIT_B32_SETTINGS;

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];
const expected = ([r, g, b]: Rgb) => [clipValue(r, 0), clipValue(g, 1), clipValue(b, 2)];

function expectPixel(values: Float32Array, x: number, y: number, colour: Rgb, tolerance = 1e-5) {
  const actual = pixelAt(values, x, y);
  expected(colour).forEach((value, channel) => expect(Math.abs(actual[channel] - value)).toBeLessThan(tolerance));
}

/** A PNG whose header claims `width`×`height` although its data is that of a 1×1 image. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await pngOf(1, 1, () => RED));
  // IHDR: length (4) and type (4) after the 8-byte signature; width and height open its data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('CLIP image preprocessing', () => {
  const preprocessor = new ClipImagePreprocessor(SETTINGS, { maxPixels: 40_000_000 });

  it('computes sizes as transformers does: short side to 224, long side scaled and truncated, centre crop at (size − 224) // 2', () => {
    expect(resizedSize(640, 480, 224)).toEqual({ width: 298, height: 224 });
    expect(resizedSize(480, 640, 224)).toEqual({ width: 224, height: 298 });
    expect(centerCrop(298, 224, 224, 224)).toEqual({ left: 37, top: 0, width: 224, height: 224 });
    expect(centerCrop(224, 299, 224, 224)).toEqual({ left: 0, top: 37, width: 224, height: 224 });
  });

  it('crops the centre of a wide image and normalizes each channel with CLIP’s mean and std', async () => {
    // 672×224: already 224 high, so no resampling; the crop is the middle third, which is green.
    const image = await pngOf(672, 224, (x) => (x < 224 ? RED : x < 448 ? GREEN : BLUE));
    const values = await preprocessor.preprocess(image);
    expect(values).toHaveLength(3 * 224 * 224);
    for (const [x, y] of [
      [0, 0],
      [223, 0],
      [111, 111],
      [0, 223],
      [223, 223],
    ])
      expectPixel(values, x, y, GREEN);
  });

  it('resizes the shorter side to 224 before the crop, keeping uniform regions exact', async () => {
    // 448×896 halves to 224×448; the crop takes rows 112–335, i.e. rows 224–671 of the original (green).
    const image = await pngOf(448, 896, (_, y) => (y < 224 ? RED : y < 672 ? GREEN : BLUE));
    const values = await preprocessor.preprocess(image);
    for (const [x, y] of [
      [0, 10],
      [111, 111],
      [223, 213],
    ])
      expectPixel(values, x, y, GREEN);
    // The crop's first row lies on the red/green edge: bicubic resampling blends it.
    const edge = pixelAt(values, 100, 0);
    expect(edge[0]).toBeGreaterThan(clipValue(0, 0) + 0.05);
    expect(edge[1]).toBeLessThan(clipValue(255, 1) - 0.05);
  });

  it('turns the image upright per its EXIF orientation before cropping', async () => {
    // Stored 448×224, left half red, right half blue; orientation 6 shows it turned 90° clockwise:
    // 224×448 with red on top. The crop (rows 112–335) is then red above blue.
    const image = await pngOf(448, 224, (x) => (x < 224 ? RED : BLUE), { orientation: 6 });
    const values = await preprocessor.preprocess(image);
    expectPixel(values, 0, 0, RED);
    expectPixel(values, 223, 100, RED);
    expectPixel(values, 0, 130, BLUE);
    expectPixel(values, 223, 223, BLUE);
  });

  // CLIPImageProcessor's convert_to_rgb is Pillow's convert("RGB"), which drops alpha: the model was trained on that.
  it('drops transparency by default, keeping the colour under transparent pixels, as CLIPImageProcessor does', async () => {
    const transparentRed = await sharp({ create: { width: 224, height: 224, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    expectPixel(await preprocessor.preprocess(transparentRed), 50, 50, RED);
    const halfBlue = await sharp({ create: { width: 224, height: 224, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } })
      .png()
      .toBuffer();
    expectPixel(await preprocessor.preprocess(halfBlue), 50, 50, BLUE);
  });

  it('flattens transparency onto a colour when told to', async () => {
    const flattening = new ClipImagePreprocessor(SETTINGS, { maxPixels: 40_000_000, alpha: { flatten: '#ffffff' } });
    const transparent = await sharp({ create: { width: 224, height: 224, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    expectPixel(await flattening.preprocess(transparent), 50, 50, [255, 255, 255]);
    const halfRed = await sharp({ create: { width: 224, height: 224, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    // 50 % red over white: red stays 255, green and blue become about half of 255.
    expectPixel(await flattening.preprocess(halfRed), 50, 50, [255, 127.5, 127.5], 0.5 / 255 / 0.26);
    expect(() => new ClipImagePreprocessor(SETTINGS, { maxPixels: 1, alpha: { flatten: 'white' } })).toThrow(/#rrggbb/);
  });

  it('gives a grey image three equal channels', async () => {
    const grey = await sharp(Buffer.alloc(300 * 300, 100), { raw: { width: 300, height: 300, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    expectPixel(await preprocessor.preprocess(grey), 10, 10, [100, 100, 100]);
  });

  it('refuses a decompression bomb from its header, before decoding it', async () => {
    const bomb = await pngClaiming(50_000, 50_000);
    expect(bomb.length).toBeLessThan(200);
    await expect(preprocessor.preprocess(bomb)).rejects.toThrow(new ImageTooLargeError('50000×50000 pixels is more than the limit of 40000000 pixels'));
  });

  it('refuses bytes that are not an image, and a truncated image', async () => {
    await expect(preprocessor.preprocess(Buffer.from('<html>not an image</html>'))).rejects.toThrow(InvalidImageError);
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 10, g: 20, b: 30 } } })
      .jpeg()
      .toBuffer();
    await expect(preprocessor.preprocess(jpeg.subarray(0, jpeg.length / 2))).rejects.toThrow(InvalidImageError);
  });
});
