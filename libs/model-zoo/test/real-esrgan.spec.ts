import * as ort from 'onnxruntime-node';
import { REAL_ESRGAN } from '../src';
import { rrdbNetUpscale } from './support/rrdbnet-reference';
import { floats, maxAbsDifference, patternTensor, TinyZoo, tinyWeights } from './support/tiny-zoo';

const GRAPH = 'onnx/RealESRGAN_x4plus.onnx';

describe('Real-ESRGAN x4plus (tiny)', () => {
  let zoo: TinyZoo;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['realEsrgan']);
    session = await zoo.session('realEsrgan', GRAPH);
  });
  afterAll(() => zoo.remove());

  it('upscales a non-square image 4× as an independent RRDBNet implementation does from the same weights', async () => {
    const input = patternTensor([1, 3, 5, 7]);
    const { output } = await session.run({ input });
    expect(output.dims).toEqual([1, 3, 20, 28]);

    const expected = rrdbNetUpscale(tinyWeights('realEsrgan', GRAPH), REAL_ESRGAN.tiny, {
      channels: 3,
      height: 5,
      width: 7,
      data: Float64Array.from(floats(input)),
    });
    expect(maxAbsDifference(floats(output), expected.data)).toBeLessThan(1e-4);
  });

  it('takes any size and batch, each image upscaled on its own', async () => {
    const first = patternTensor([1, 3, 8, 4], 0);
    const second = patternTensor([1, 3, 8, 4], 1);
    const batch = new ort.Tensor('float32', Float32Array.from([...floats(first), ...floats(second)]), [2, 3, 8, 4]);
    const [alone, together] = await Promise.all([session.run({ input: second }), session.run({ input: batch })]);
    expect(together.output.dims).toEqual([2, 3, 32, 16]);
    expect(maxAbsDifference(floats(together.output).subarray(3 * 32 * 16), floats(alone.output))).toBeLessThan(1e-5);
  });
});
