import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { floats, int64Tensor, maxAbsDifference, TinyZoo } from './support/tiny-zoo';

describe('text detector (tiny)', () => {
  let zoo: TinyZoo;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['textDetector']);
    session = await zoo.session('textDetector', 'onnx/model.onnx');
  });
  afterAll(() => zoo.remove());

  it('gives two logits per text, unchanged by padding, labelled as roberta-base-openai-detector labels them', async () => {
    const { logits } = await session.run({
      input_ids: int64Tensor([
        [101, 7592, 2088, 102, 0],
        [101, 2023, 2003, 1037, 102],
      ]),
      attention_mask: int64Tensor([
        [1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1],
      ]),
    });
    expect(logits.dims).toEqual([2, 2]);
    const alone = await session.run({ input_ids: int64Tensor([[101, 7592, 2088, 102]]), attention_mask: int64Tensor([[1, 1, 1, 1]]) });
    expect(maxAbsDifference(floats(logits).subarray(0, 2), floats(alone.logits))).toBeLessThan(1e-5);
    expect(maxAbsDifference(floats(logits).subarray(0, 2), floats(logits).subarray(2))).toBeGreaterThan(1e-3);

    const config = JSON.parse(await readFile(zoo.path('textDetector', 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: 'Fake', 1: 'Real' });
  });
});
