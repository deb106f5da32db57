import sharp from 'sharp';
import { ClipImagePreprocessor } from '../src';
import { SeededRandom } from '@switchyard/model-zoo';
import { BicubicResampler } from '../src/clip/bicubic-resampler';
import { CLIP_VIT_B32_SETTINGS } from './support/images';

// transformers' CLIPImageProcessor for openai/clip-vit-base-patch32, written out independently of
// the code under test: Pillow's convert("RGB") (alpha dropped), resize of the shorter side to 224
// with Pillow's BICUBIC (reducing_gap None), centre crop at (size − 224) // 2, /255, mean and std.
const SETTINGS = CLIP_VIT_B32_SETTINGS;

/** An RGB image as the reference sees it, 8 bits per channel. */
interface Rgb8 {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Pillow's bicubic filter (a = −0.5). */
function cubic(x: number): number {
  const t = Math.abs(x);
  if (t < 1) return (1.5 * t - 2.5) * t * t + 1;
  if (t < 2) return -0.5 * (((t - 5) * t + 8) * t - 4);
  return 0;
}

/**
 * The weights Pillow gives the input samples of output sample `i`, in float64: the filter is
 * stretched by the scale when shrinking (antialiasing) and centred at (i + 0.5) × scale.
 */
function weightsFor(i: number, inSize: number, outSize: number): { start: number; weights: number[] } {
  const scale = inSize / outSize;
  const stretch = scale > 1 ? scale : 1;
  const support = 2 * stretch;
  const center = (i + 0.5) * scale;
  const start = Math.max(0, Math.trunc(center - support + 0.5));
  const end = Math.min(inSize, Math.trunc(center + support + 0.5));
  const weights: number[] = [];
  for (let x = start; x < end; x++) weights.push(cubic((x - center + 0.5) / stretch));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return { start, weights: weights.map((weight) => weight / total) };
}

/**
 * One pass of Pillow's separable resize along one axis, in float64. Pillow's 8-bit path rounds
 * each pass to bytes (its fixed-point sums are shifted and clipped), so this does too: the
 * horizontal pass's image is uint8 before the vertical pass reads it.
 */
function pass(image: Rgb8, outSize: number, axis: 'x' | 'y'): Rgb8 {
  const width = axis === 'x' ? outSize : image.width;
  const height = axis === 'y' ? outSize : image.height;
  const data = new Uint8Array(width * height * 3);
  const inSize = axis === 'x' ? image.width : image.height;
  // Where a sample's neighbour along the axis is, and the next line across it, in the input and the output.
  const step = axis === 'x' ? 3 : image.width * 3;
  const across = axis === 'x' ? height : width;
  const inLine = axis === 'x' ? image.width * 3 : 3;
  const outLine = axis === 'x' ? width * 3 : 3;
  const outStep = axis === 'x' ? 3 : width * 3;
  const source = image.data;
  for (let i = 0; i < outSize; i++) {
    const { start, weights } = weightsFor(i, inSize, outSize);
    const taps = Float64Array.from(weights);
    for (let j = 0; j < across; j++) {
      for (let channel = 0; channel < 3; channel++) {
        const first = j * inLine + start * step + channel;
        let sum = 0;
        for (let k = 0; k < taps.length; k++) sum += taps[k] * source[first + k * step];
        data[j * outLine + i * outStep + channel] = Math.min(255, Math.max(0, Math.floor(sum + 0.5)));
      }
    }
  }
  return { data, width, height };
}

/** CLIPImageProcessor's pixel levels (0–255, before /255 and normalization) for an RGB image, HWC. */
function referenceLevels(image: Rgb8): Uint8Array {
  const short = Math.min(image.width, image.height);
  const long = Math.max(image.width, image.height);
  const resizedLong = Math.trunc((224 * long) / short);
  const [width, height] = image.width <= image.height ? [224, resizedLong] : [resizedLong, 224];
  // Pillow skips a pass whose size does not change, horizontal first.
  const horizontal = width === image.width ? image : pass(image, width, 'x');
  const resized = height === image.height ? horizontal : pass(horizontal, height, 'y');
  const left = Math.trunc((width - 224) / 2);
  const top = Math.trunc((height - 224) / 2);
  const crop = new Uint8Array(224 * 224 * 3);
  for (let y = 0; y < 224; y++) crop.set(resized.data.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + 224) * 3), y * 224 * 3);
  return crop;
}

/** The preprocessor's output back in pixel levels: (value × std + mean) × 255, HWC. */
function levelsOf(values: Float32Array): Float64Array {
  const plane = 224 * 224;
  const levels = new Float64Array(plane * 3);
  for (let channel = 0; channel < 3; channel++) {
    for (let pixel = 0; pixel < plane; pixel++) {
      levels[pixel * 3 + channel] = (values[channel * plane + pixel] * SETTINGS.std[channel] + SETTINGS.mean[channel]) * 255;
    }
  }
  return levels;
}

function maxDifference(actual: Float64Array, expected: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

/**
 * Samples of `channels` channels at full range `max`: smooth gradients with noise, a hard-edged
 * rectangle, and one-pixel stripes, so both the smooth response and ringing at edges are checked.
 */
function testSamples(width: number, height: number, channels: number, max: number, seed: number): number[] {
  const generator = new SeededRandom(`clip-reference-${seed}`);
  const next = () => generator.nextUint32() / 4294967296;
  const samples: number[] = new Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inRectangle = x > width / 4 && x < width / 2 && y > height / 3 && y < (2 * height) / 3;
      const stripe = y > (3 * height) / 4 && x % 2 === 0;
      for (let channel = 0; channel < channels; channel++) {
        const gradient = (channel % 2 === 0 ? x / width : y / height) * 0.7 + next() * 0.3;
        const value = inRectangle ? (channel === 0 ? 1 : 0.02) : stripe ? 1 : gradient;
        samples[(y * width + x) * channels + channel] = Math.round(value * max);
      }
    }
  }
  return samples;
}

/** The colour CLIPImageProcessor starts from, 8-bit RGB: grey replicated, alpha dropped, 16 bits cut to the high byte. */
function rgb8Of(samples: readonly number[], width: number, height: number, channels: number, bits: 8 | 16): Rgb8 {
  const data = new Uint8Array(width * height * 3);
  for (let pixel = 0; pixel < width * height; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      const sample = samples[pixel * channels + (channels === 1 ? 0 : channel)];
      data[pixel * 3 + channel] = bits === 16 ? sample >> 8 : sample;
    }
  }
  return { data, width, height };
}

/** The image a camera stored with EXIF orientation 6 shows turned 90° clockwise: displayed (x, y) is stored (y, H − 1 − x). */
function turnedClockwise(image: Rgb8): Rgb8 {
  const width = image.height;
  const height = image.width;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((image.height - 1 - x) * image.width + y) * 3;
      data.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

const INTERPRETATION = { 1: { 8: 'b-w', 16: 'grey16' }, 3: { 8: 'srgb', 16: 'rgb16' }, 4: { 8: 'srgb', 16: 'rgb16' } } as const;

/** A lossless PNG of these samples, 8 or 16 bits deep, optionally with an EXIF orientation. */
async function pngOfSamples(samples: number[], width: number, height: number, channels: 1 | 3 | 4, bits: 8 | 16, orientation?: number): Promise<Buffer> {
  const raw = bits === 16 ? new Uint16Array(samples) : new Uint8Array(samples);
  let image = sharp(raw, { raw: { width, height, channels } }).toColourspace(INTERPRETATION[channels][bits]);
  if (orientation) image = image.withMetadata({ orientation });
  const png = await image.png().toBuffer();
  const metadata = await sharp(png).metadata();
  expect([metadata.channels, metadata.depth]).toEqual([channels, bits === 16 ? 'ushort' : 'uchar']);
  return png;
}

const SIZES: Array<[number, number]> = [
  [100, 100],
  [300, 200],
  [640, 480],
  [1000, 300],
  [224, 224],
];

interface Case {
  name: string;
  channels: 1 | 3 | 4;
  bits: 8 | 16;
  orientation?: 6;
  /** More sizes than SIZES (the test is slow enough to keep the others to those). */
  sizes?: Array<[number, number]>;
}

const CASES: Case[] = [
  { name: '8-bit RGB', channels: 3, bits: 8, sizes: [[150, 400]] },
  { name: '16-bit RGB', channels: 3, bits: 16 },
  { name: '8-bit grey', channels: 1, bits: 8 },
  { name: '16-bit grey', channels: 1, bits: 16 },
  { name: '8-bit RGBA', channels: 4, bits: 8 },
  { name: '16-bit RGBA', channels: 4, bits: 16 },
  { name: 'EXIF-rotated (orientation 6) 8-bit RGB', channels: 3, bits: 8, orientation: 6 },
];

describe('CLIP image preprocessing against a float64 reimplementation of CLIPImageProcessor', () => {
  const preprocessor = new ClipImagePreprocessor(SETTINGS, { maxPixels: 40_000_000 });
  afterAll(() => preprocessor.close());

  describe.each(CASES)('$name', ({ channels, bits, orientation, sizes = [] }) => {
    it.each([...SIZES, ...sizes])('%i×%i is within one level of the reference on every channel', async (width, height) => {
      const samples = testSamples(width, height, channels, bits === 16 ? 65535 : 255, width * 7919 + height * 31 + channels * 3 + bits);
      if (channels === 4) {
        // Transparent, half-transparent and opaque pixels, with colours under them that a flatten would lose.
        for (let pixel = 0; pixel < width * height; pixel++) samples[pixel * 4 + 3] = [0, bits === 16 ? 32768 : 128, bits === 16 ? 65535 : 255][pixel % 3];
      }
      const stored = rgb8Of(samples, width, height, channels, bits);
      const expected = referenceLevels(orientation === 6 ? turnedClockwise(stored) : stored);
      const png = await pngOfSamples(samples, width, height, channels, bits, orientation);

      const actual = levelsOf(await preprocessor.preprocess(png));

      expect(maxDifference(actual, expected)).toBeLessThanOrEqual(1 + 1e-3);
    });
  });

  it('flattens onto a colour, when told to, before the same resize', async () => {
    const flattening = new ClipImagePreprocessor(SETTINGS, { maxPixels: 40_000_000, alpha: { flatten: '#ffffff' } });
    const [width, height] = [300, 200];
    const samples = testSamples(width, height, 4, 255, 17);
    for (let pixel = 0; pixel < width * height; pixel++) samples[pixel * 4 + 3] = [0, 128, 255][pixel % 3];
    const composite = samples.map((sample, index) => {
      if (index % 4 === 3) return 255;
      const alpha = samples[index - (index % 4) + 3] / 255;
      return Math.floor(sample * alpha + 255 * (1 - alpha));
    });
    const expected = referenceLevels(rgb8Of(composite, width, height, 4, 8));

    const actual = levelsOf(await flattening.preprocess(await pngOfSamples(samples, width, height, 4, 8)));

    expect(maxDifference(actual, expected)).toBeLessThanOrEqual(1 + 1e-3);
    await flattening.close();
  });

  it('resizes the same on the event loop as in its thread', async () => {
    const [width, height] = [640, 480];
    const image = rgb8Of(testSamples(width, height, 3, 255, 5), width, height, 3, 8);
    const crop = { left: 37, top: 0, width: 224, height: 224 };
    const inline = new BicubicResampler(Infinity);
    const threaded = new BicubicResampler(0);

    const source = { pixels: image.data, width, height };

    const [onLoop, inThread] = await Promise.all([inline.resize(source, 298, 224, crop), threaded.resize(source, 298, 224, crop)]);

    expect(Buffer.from(inThread).equals(Buffer.from(onLoop))).toBe(true);
    expect(maxDifference(Float64Array.from(onLoop), referenceLevels(image))).toBeLessThanOrEqual(1);
    await threaded.close();
  });
});
