import * as ort from 'onnxruntime-node';
import { CLIP_PROJECTION_DIM } from '../src';
import { floats, int64Tensor, maxAbsDifference, patternTensor, TinyZoo } from './support/tiny-zoo';

const START = 49406;
const END = 49407;

describe('CLIP ViT-B/32 (tiny)', () => {
  let zoo: TinyZoo;
  let vision: ort.InferenceSession;
  let text: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['clip']);
    [vision, text] = await Promise.all([zoo.session('clip', 'onnx/vision_model.onnx'), zoo.session('clip', 'onnx/text_model.onnx')]);
  });
  afterAll(() => zoo.remove());

  it('embeds each image of a batch into 512 dimensions on its own', async () => {
    const pixels = new Float32Array(2 * 3 * 224 * 224);
    pixels.set(floats(patternTensor([1, 3, 224, 224], 0)));
    pixels.set(floats(patternTensor([1, 3, 224, 224], 2)), 3 * 224 * 224);
    const batch = await vision.run({ pixel_values: new ort.Tensor('float32', pixels, [2, 3, 224, 224]) });
    const second = await vision.run({ pixel_values: patternTensor([1, 3, 224, 224], 2) });
    expect(batch.image_embeds.dims).toEqual([2, CLIP_PROJECTION_DIM]);
    const embeds = floats(batch.image_embeds);
    expect(maxAbsDifference(embeds.subarray(CLIP_PROJECTION_DIM), floats(second.image_embeds))).toBeLessThan(1e-4);
    expect(maxAbsDifference(embeds.subarray(0, CLIP_PROJECTION_DIM), embeds.subarray(CLIP_PROJECTION_DIM))).toBeGreaterThan(0.01);
  });

  it('pools text at the end-of-text token, so what is padded after it does not matter', async () => {
    const { text_embeds: embeds } = await text.run({
      input_ids: int64Tensor([
        [START, 320, 1929, END, END, END],
        [START, 320, 1929, END, 0, 0],
        [START, 320, 2368, END, END, END],
      ]),
    });
    expect(embeds.dims).toEqual([3, CLIP_PROJECTION_DIM]);
    const rows = [0, 1, 2].map((row) => floats(embeds).subarray(row * CLIP_PROJECTION_DIM, (row + 1) * CLIP_PROJECTION_DIM));
    expect(maxAbsDifference(rows[0], rows[1])).toBeLessThan(1e-5);
    expect(maxAbsDifference(rows[0], rows[2])).toBeGreaterThan(0.01);
  });

  it('reads only the tokens up to the end-of-text token (causal attention)', async () => {
    const short = await text.run({ input_ids: int64Tensor([[START, 320, 1929, END]]) });
    const long = await text.run({ input_ids: int64Tensor([[START, 320, 1929, END, 1125, 2368, 530]]) });
    expect(maxAbsDifference(floats(short.text_embeds), floats(long.text_embeds))).toBeLessThan(1e-5);
  });
});
