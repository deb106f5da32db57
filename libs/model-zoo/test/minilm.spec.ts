import * as ort from 'onnxruntime-node';
import { MINILM } from '../src';
import { bertLastHiddenState } from './support/bert-reference';
import { floats, int64Tensor, maxAbsDifference, TinyZoo, tinyWeights } from './support/tiny-zoo';

const GRAPH = 'onnx/model.onnx';
const WIDTH = 384;

describe('all-MiniLM-L6-v2 (tiny)', () => {
  let zoo: TinyZoo;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['miniLm']);
    session = await zoo.session('miniLm', GRAPH);
  });
  afterAll(() => zoo.remove());

  const run = async (ids: number[][], mask: number[][], types: number[][]) => {
    const output = await session.run({ input_ids: int64Tensor(ids), attention_mask: int64Tensor(mask), token_type_ids: int64Tensor(types) });
    return output.last_hidden_state;
  };

  it('gives the last hidden state that an independent BERT implementation computes from the same weights', async () => {
    const ids = [
      [101, 7592, 2088, 102, 0, 0],
      [101, 1996, 4937, 2938, 2006, 102],
    ];
    const mask = [
      [1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 1],
    ];
    const types = [
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 1, 1, 1],
    ];
    const output = await run(ids, mask, types);
    expect(output.dims).toEqual([2, 6, WIDTH]);

    const weights = tinyWeights('miniLm', GRAPH);
    ids.forEach((row, b) => {
      const expected = bertLastHiddenState(weights, MINILM.tiny, row, mask[b], types[b]);
      const actual = floats(output).subarray(b * 6 * WIDTH, (b + 1) * 6 * WIDTH);
      expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-4);
    });
  });

  it('gives unpadded tokens the same vectors whatever padding follows them', async () => {
    const alone = await run([[101, 7592, 2088, 102]], [[1, 1, 1, 1]], [[0, 0, 0, 0]]);
    const padded = await run(
      [
        [101, 7592, 2088, 102, 0, 0, 0],
        [101, 2023, 2003, 1037, 2936, 6251, 102],
      ],
      [
        [1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1],
      ],
      [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
      ],
    );
    expect(maxAbsDifference(floats(padded).subarray(0, 4 * WIDTH), floats(alone))).toBeLessThan(1e-5);
  });

  it('gives different vectors to different sentences and honours token types', async () => {
    const first = await run([[101, 7592, 2088, 102]], [[1, 1, 1, 1]], [[0, 0, 0, 0]]);
    const other = await run([[101, 7592, 4937, 102]], [[1, 1, 1, 1]], [[0, 0, 0, 0]]);
    const segment = await run([[101, 7592, 2088, 102]], [[1, 1, 1, 1]], [[0, 0, 1, 1]]);
    expect(maxAbsDifference(floats(first), floats(other))).toBeGreaterThan(0.1);
    expect(maxAbsDifference(floats(first), floats(segment))).toBeGreaterThan(0.1);
  });
});
