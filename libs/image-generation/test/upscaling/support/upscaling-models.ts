import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChwImage } from '@switchyard/image-detection';
import { ModelSessions, ModelStore } from '@switchyard/model-runtime';
import { attr, GraphBuilder, writeOnnxFile } from '@switchyard/model-zoo';

// The replicas `npm run build` generates (`node libs/model-zoo/dist/cli.js generate --tier tiny`).
export const TINY = join(__dirname, '../../../../../models/tiny');
export const REAL_ESRGAN = { repo: 'ai-forever/Real-ESRGAN' };
export const FIXED_64_FILE = 'onnx/RealESRGAN_x4plus_fixed64.onnx';
/** A local repository of the nearest-conv graph below. */
export const NEAREST_CONV = { repo: 'test/nearest-conv', file: 'onnx/model.onnx' };

/**
 * One 3×3 convolution (zero padding 1) then nearest ×4: each output pixel depends on input pixels at
 * most 1 away, well inside a tile pad of 10, so tiling must not change a single sample.
 */
async function writeNearestConvRepository(folder: string): Promise<void> {
  const g = new GraphBuilder('nearest-conv', 'nearest-conv', {
    file: NEAREST_CONV.file,
    inputs: [{ name: 'pixels', type: 'float32', dims: ['batch', 3, 'height', 'width'] }],
    outputs: [{ name: 'upscaled', type: 'float32', dims: ['batch', 3, 'height4', 'width4'] }],
  });
  const weights = Array.from({ length: 3 * 3 * 9 }, (_, i) => ((i * 37) % 17) / 40 - 0.1);
  const conv = g.op('Conv', [g.input('pixels'), g.constant('float32', weights, [3, 3, 3, 3]), g.constant('float32', [0.05, -0.02, 0.01], [3])], {
    kernel_shape: attr.ints([3, 3]),
    pads: attr.ints([1, 1, 1, 1]),
  });
  const upscaled = g.op('Resize', [conv, '', g.constant('float32', [1, 1, 4, 4])], {
    mode: attr.string('nearest'),
    coordinate_transformation_mode: attr.string('asymmetric'),
    nearest_mode: attr.string('floor'),
  });
  g.output('upscaled', upscaled);
  await mkdir(join(folder, 'onnx'), { recursive: true });
  await writeOnnxFile(join(folder, NEAREST_CONV.file), g.build(), 'test');
  await writeFile(join(folder, 'config.json'), JSON.stringify({ scale: 4 }));
}

/** An offline model store over the tiny replicas, plus a temporary repository of the nearest-conv graph. */
export class UpscalingModels {
  private constructor(
    private readonly scratch: string,
    readonly tinyStore: ModelStore,
    readonly testStore: ModelStore,
    readonly sessions: ModelSessions,
  ) {}

  static async open(): Promise<UpscalingModels> {
    const scratch = await mkdtemp(join(tmpdir(), 'upscaling-'));
    await writeNearestConvRepository(join(scratch, 'models', ...NEAREST_CONV.repo.split('/')));
    return new UpscalingModels(
      scratch,
      new ModelStore({ cacheDir: join(scratch, 'cache-tiny'), modelDir: TINY, offline: true }),
      new ModelStore({ cacheDir: join(scratch, 'cache-test'), modelDir: join(scratch, 'models'), offline: true }),
      new ModelSessions({ executionProviders: ['cpu'] }),
    );
  }

  async close(): Promise<void> {
    await this.sessions.release();
    this.tinyStore.close();
    this.testStore.close();
    await rm(this.scratch, { recursive: true, force: true });
  }
}

/** An 8-bit RGB image of gradients and a hash-like texture, different at every pixel and reproducible. */
export function testImage(width: number, height: number, seed = 1): ChwImage {
  const data = new Uint8Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const texture = ((x * 73856093) ^ (y * 19349663) ^ ((c + seed) * 83492791)) & 63;
        data[(c * height + y) * width + x] = Math.min(255, Math.floor(((x + y * 2 + c * 40) * 191) / (width + height * 2)) + texture);
      }
    }
  }
  return { data, channels: 3, height, width };
}

/** The largest difference between two 8-bit images of the same size. */
export function maxDifference(a: ChwImage, b: ChwImage): number {
  expect([a.width, a.height, a.data.length]).toEqual([b.width, b.height, b.data.length]);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

export const neverAborted = (): AbortSignal => new AbortController().signal;
