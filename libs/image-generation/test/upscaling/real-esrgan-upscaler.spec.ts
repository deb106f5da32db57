import sharp from 'sharp';
import type { ChwImage } from '@switchyard/image-detection';
import { DEFAULT_TILE_PAD, interleaved, RealEsrganUpscaler, UpscaleRefusedError } from '../../src';
import { FIXED_64_FILE, maxDifference, NEAREST_CONV, neverAborted, REAL_ESRGAN, testImage, UpscalingModels } from './support/upscaling-models';

const UNLIMITED = { maxWholeImagePixels: 4096 * 4096 };

let models: UpscalingModels;
beforeAll(async () => {
  models = await UpscalingModels.open();
});
afterAll(() => models.close());

describe('tiling a network whose receptive field is inside the pad (3×3 conv + nearest ×4)', () => {
  let upscaler: RealEsrganUpscaler;
  beforeAll(async () => {
    upscaler = await RealEsrganUpscaler.load(models.testStore, models.sessions, NEAREST_CONV, UNLIMITED);
  });

  it('reads the scale from the graph', () => {
    expect(upscaler.scale).toBe(4);
    expect(upscaler.name).toBe('Real-ESRGAN 4x');
    expect(upscaler.describe()).toMatchObject({ repo: NEAREST_CONV.repo, file: NEAREST_CONV.file, scale: 4, fixedInput: null });
  });

  it.each([
    [97, 61, 16],
    [97, 61, 11],
    [97, 61, 32],
    [97, 61, 50],
    [97, 61, 97],
    [64, 64, 32],
  ])('gives exactly the untiled output for a %i×%i image in tiles of %i', async (width, height, tileSize) => {
    const image = testImage(width, height);
    const whole = await upscaler.upscale(image, { signal: neverAborted() });
    const tiled = await upscaler.upscale(image, { tileSize, signal: neverAborted() });
    expect([tiled.width, tiled.height]).toEqual([width * 4, height * 4]);
    expect(Buffer.from(tiled.data).equals(Buffer.from(whole.data))).toBe(true);
  });

  it('reflect-pads right and bottom by prePad and crops it off again', async () => {
    const image = testImage(40, 30);
    const plain = await upscaler.upscale(image, { tileSize: 16, signal: neverAborted() });
    const prePadded = await upscaler.upscale(image, { tileSize: 16, prePad: 10, signal: neverAborted() });
    expect([prePadded.width, prePadded.height]).toEqual([160, 120]);
    // Only the last input column/row sees the padding (radius 1): 4 output pixels each at ×4.
    const interior = (result: ChwImage) =>
      Buffer.concat(
        Array.from({ length: 3 * 116 }, (_, i) => (result.data as Uint8Array).subarray((Math.floor(i / 116) * 120 + (i % 116)) * 160).subarray(0, 156)),
      );
    expect(interior(prePadded).equals(interior(plain))).toBe(true);
    expect(maxDifference(prePadded, plain)).toBeGreaterThan(0);
  });
});

describe('RealEsrganUpscaler on the tiny Real-ESRGAN replica', () => {
  let upscaler: RealEsrganUpscaler;
  beforeAll(async () => {
    upscaler = await RealEsrganUpscaler.load(models.tinyStore, models.sessions, REAL_ESRGAN, { maxWholeImagePixels: 256 * 256 });
  });

  it('gives the untiled output within 2 levels of 255 (measured: 1; the receptive field outgrows the pad)', async () => {
    const image = testImage(150, 110);
    const whole = await upscaler.upscale(image, { signal: neverAborted() });
    for (const tileSize of [32, 64, 100]) {
      const tiled = await upscaler.upscale(image, { tileSize, signal: neverAborted() });
      expect(maxDifference(tiled, whole)).toBeLessThanOrEqual(2);
    }
  });

  it('upscales a 1024×680 input to 4096×2720 in tiles', async () => {
    const result = await upscaler.upscale(testImage(1024, 680), { tileSize: 256, signal: neverAborted() });
    expect([result.width, result.height, result.data.length]).toEqual([4096, 2720, 3 * 4096 * 2720]);
  }, 120_000);

  it.each([2, 3.5])(
    'resizes the ×4 output of a 44×26 image at outscale %f to int(w·outscale) × int(h·outscale) with Lanczos (sharp lanczos3)',
    async (outscale) => {
      const image = testImage(44, 26);
      const x4 = await upscaler.upscale(image, { tileSize: 32, signal: neverAborted() });
      const resized = await upscaler.upscale(image, { tileSize: 32, outscale, signal: neverAborted() });
      expect([resized.width, resized.height]).toEqual([Math.floor(44 * outscale), Math.floor(26 * outscale)]);
      const expected = await sharp(interleaved(x4), { raw: { width: x4.width, height: x4.height, channels: 3 } })
        .resize(resized.width, resized.height, { kernel: 'lanczos3', fit: 'fill' })
        .raw()
        .toBuffer();
      expect(interleaved(resized).equals(expected)).toBe(true);
    },
  );

  it('pads each tile to a fixed 1×3×64×64 export and matches the dynamic graph of the same weights', async () => {
    const fixed = await RealEsrganUpscaler.load(models.tinyStore, models.sessions, { ...REAL_ESRGAN, file: FIXED_64_FILE }, { maxWholeImagePixels: 256 * 256 });
    expect(fixed.describe()).toMatchObject({ fixedInput: { height: 64, width: 64 }, scale: 4 });
    const image = testImage(150, 110);
    const dynamic = await upscaler.upscale(image, { signal: neverAborted() });
    // Tiles of 64 − 2·10 = 44 fit with their pads.
    expect(fixed.tileCount(150, 110)).toBe(Math.ceil(150 / 44) * Math.ceil(110 / 44));
    const viaFixed = await fixed.upscale(image, { signal: neverAborted() });
    expect(maxDifference(viaFixed, dynamic)).toBeLessThanOrEqual(2); // measured: 1
    // An image smaller than 64 is reflect-padded up to it: its size comes out right, the padding cropped off.
    const small = await fixed.upscale(testImage(20, 9), { signal: neverAborted() });
    expect([small.width, small.height, small.data.length]).toEqual([80, 36, 3 * 80 * 36]);
  });

  it('counts tiles as the reference cuts them', () => {
    expect(upscaler.tileCount(1024, 680, 128)).toBe(8 * 6);
    expect(upscaler.tileCount(1024, 680, 256)).toBe(4 * 3);
    expect(upscaler.tileCount(200, 100)).toBe(1);
  });

  it('reports each tile and stops within one tile of an abort, with the signal’s reason', async () => {
    const session = await models.sessions.load(`${__dirname}/../../../../models/tiny/${REAL_ESRGAN.repo}/onnx/RealESRGAN_x4plus.onnx`);
    const runs = jest.spyOn(session, 'run');
    try {
      const progress: [number, number][] = [];
      await upscaler.upscale(testImage(70, 50), { tileSize: 32, signal: neverAborted(), onTile: (done, total) => void progress.push([done, total]) });
      expect(progress).toEqual(Array.from({ length: 6 }, (_, i) => [i + 1, 6]));
      expect(runs).toHaveBeenCalledTimes(6);

      runs.mockClear();
      const controller = new AbortController();
      const reason = new Error('job cancelled');
      const calls: number[] = [];
      const pending = upscaler.upscale(testImage(70, 50), {
        tileSize: 32,
        signal: controller.signal,
        onTile: (done) => {
          calls.push(done);
          if (done === 2) controller.abort(reason);
        },
      });
      await expect(pending).rejects.toBe(reason);
      expect(calls).toEqual([1, 2]);
      expect(runs).toHaveBeenCalledTimes(2);
    } finally {
      runs.mockRestore();
    }
  });

  it.each([
    [{ tileSize: 0 }, 'tileSize', /tileSize must be a whole number greater than tilePad \(10\), got 0/],
    [{ tileSize: 10 }, 'tileSize', /greater than tilePad \(10\), got 10/],
    [{ tileSize: 32.5 }, 'tileSize', /got 32\.5/],
    [{ tileSize: 300 }, 'tileSize', /tileSize 300 makes tiles of 90000 pixels, over the limit of 65536/],
    [{ tileSize: 32, tilePad: -1 }, 'tilePad', /tilePad must be a whole number ≥ 0, got -1/],
    [{ tileSize: 32, prePad: 1.5 }, 'prePad', /prePad must be a whole number ≥ 0, got 1.5/],
    [{ tileSize: 32, outscale: 0 }, 'outscale', /outscale must be a positive number, got 0/],
    [{ tileSize: 32, outscale: Number.NaN }, 'outscale', /outscale must be a positive number, got NaN/],
    [{ tileSize: 32, outscale: 0.001 }, 'outscale', /outscale 0.001 leaves no pixel of a 300×300 image/],
    [{}, 'tileSize', /a 300×300 image \(90000 pixels\) is over the limit of 65536 for one untiled run: set tileSize/],
    [{ prePad: 0, tileSize: undefined }, 'tileSize', /over the limit/],
  ])('refuses %j before any run, naming the option', async (options, option, message) => {
    const session = await models.sessions.load(`${__dirname}/../../../../models/tiny/${REAL_ESRGAN.repo}/onnx/RealESRGAN_x4plus.onnx`);
    const runs = jest.spyOn(session, 'run');
    try {
      const refusal = upscaler.upscale(testImage(300, 300), { ...options, signal: neverAborted() });
      await expect(refusal).rejects.toThrow(UpscaleRefusedError);
      await expect(refusal).rejects.toMatchObject({ option, code: 'upscale_refused', message: expect.stringMatching(message) });
      expect(runs).not.toHaveBeenCalled();
    } finally {
      runs.mockRestore();
    }
  });

  it('refuses a float image, and a tile pad that leaves no room in a fixed input', async () => {
    await expect(upscaler.upscale({ data: new Float32Array(3 * 4), channels: 3, height: 2, width: 2 }, { signal: neverAborted() })).rejects.toThrow(
      /8-bit RGB/,
    );
    const fixed = await RealEsrganUpscaler.load(models.tinyStore, models.sessions, { ...REAL_ESRGAN, file: FIXED_64_FILE }, UNLIMITED);
    await expect(fixed.upscale(testImage(8, 8), { tilePad: 32, signal: neverAborted() })).rejects.toThrow(
      /tilePad 32 leaves no room in the model's fixed 64-pixel input/,
    );
    expect(DEFAULT_TILE_PAD).toBe(10);
  });
});
