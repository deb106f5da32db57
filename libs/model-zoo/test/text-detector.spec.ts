import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { TEXT_DETECTOR } from '../src';
import { bertLastHiddenState } from './support/bert-reference';
import { matmul } from './support/reference-math';
import { floats, int64Tensor, maxAbsDifference, TinyZoo, tinyWeights } from './support/tiny-zoo';

const GRAPH = 'onnx/model.onnx';
const PAD = 1;

describe('text detector (tiny)', () => {
  let zoo: TinyZoo;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['textDetector']);
    session = await zoo.session('textDetector', GRAPH);
  });
  afterAll(() => zoo.remove());

  /** RobertaForSequenceClassification from the weights: positions from padding_idx + 1, the head on the first token. */
  function referenceLogits(ids: readonly number[]): number[] {
    const arch = { ...TEXT_DETECTOR.tiny, typeVocabSize: 1 };
    const w = tinyWeights('textDetector', GRAPH);
    const positions = ids.map((_, i) => PAD + 1 + i);
    const hidden = bertLastHiddenState(
      w,
      arch,
      ids,
      ids.map(() => 1),
      ids.map(() => 0),
      positions,
    );
    const first = hidden.subarray(0, arch.width);
    const dense = matmul(first, 1, arch.width, w('classifier.dense.weight'), arch.width, w('classifier.dense.bias')).map(Math.tanh);
    return [...matmul(dense, 1, arch.width, w('classifier.out_proj.weight'), 2, w('classifier.out_proj.bias'))];
  }

  it('gives the logits of an independent RoBERTa classifier, whose positions start at padding_idx + 1', async () => {
    const ids = [0, 300, 412, 275, 2];
    const { logits } = await session.run({ input_ids: int64Tensor([ids]), attention_mask: int64Tensor([ids.map(() => 1)]) });
    expect(logits.dims).toEqual([1, 2]);
    expect(maxAbsDifference(floats(logits), referenceLogits(ids))).toBeLessThan(1e-4);
  });

  it('gives two logits per text, unchanged by padding with <pad>, labelled as roberta-base-openai-detector labels them', async () => {
    const { logits } = await session.run({
      input_ids: int64Tensor([
        [0, 300, 412, 2, PAD],
        [0, 301, 500, 600, 2],
      ]),
      attention_mask: int64Tensor([
        [1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1],
      ]),
    });
    expect(logits.dims).toEqual([2, 2]);
    const alone = await session.run({ input_ids: int64Tensor([[0, 300, 412, 2]]), attention_mask: int64Tensor([[1, 1, 1, 1]]) });
    expect(maxAbsDifference(floats(logits).subarray(0, 2), floats(alone.logits))).toBeLessThan(1e-5);
    expect(maxAbsDifference(floats(logits).subarray(0, 2), floats(logits).subarray(2))).toBeGreaterThan(1e-3);

    const config = JSON.parse(await readFile(zoo.path('textDetector', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ id2label: { 0: 'Fake', 1: 'Real' }, model_type: 'roberta', max_position_embeddings: 514, pad_token_id: PAD });
  });

  it('reads 512 tokens, the most its 514 positions hold', async () => {
    const ids = [0, ...Array.from({ length: 510 }, (_, i) => 4 + (i % 300)), 2];
    const { logits } = await session.run({ input_ids: int64Tensor([ids]), attention_mask: int64Tensor([ids.map(() => 1)]) });
    expect([...floats(logits)].every(Number.isFinite)).toBe(true);
    await expect(session.run({ input_ids: int64Tensor([[...ids, 5]]), attention_mask: int64Tensor([[...ids, 5].map(() => 1)]) })).rejects.toThrow();
  });
});
