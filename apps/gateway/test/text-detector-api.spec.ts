import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { GENERATED_MODELS } from '@switchyard/model-zoo';
import { DEFAULT_TEXT_MODEL_ID } from '@switchyard/text-detection';
import { longText } from '../../../libs/text-detection/test/support/text-models';
import { DetectorWorkerUnderTest, startTestPlatform, type GatewayUnderTest, type TestPlatform } from './support/platform';

/** The replica's probability of "Fake" for a text that fits one window: its own tokenizer, the bare graph, softmax in float64. */
async function referenceFake(modelsDir: string, text: string): Promise<number> {
  const folder = join(modelsDir, 'tiny', GENERATED_MODELS.textDetector.repoId);
  const read = async (file: string) => JSON.parse(await readFile(join(folder, file), 'utf8'));
  const ids: number[] = new Tokenizer(await read('tokenizer.json'), await read('tokenizer_config.json')).encode(text).ids;
  const session = await ort.InferenceSession.create(join(folder, 'onnx/model.onnx'));
  const tensor = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const { logits } = await session.run({ input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)) });
  await session.release();
  const [fake, real] = logits.data as Float32Array;
  return 1 / (1 + Math.exp(real - fake));
}

describe('text-detector endpoint through the RunPod-compatible API', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: DetectorWorkerUnderTest;

  const runsync = (input: unknown) => gateway.request('POST', '/v2/text-detector/runsync?wait=30000', { input });
  const completed = async (input: unknown) => {
    const response = await runsync(input);
    expect(response.body).toMatchObject({ status: 'COMPLETED' });
    return response.body.output;
  };
  const refused = async (input: unknown) => {
    const response = await runsync(input);
    expect(response.status).toBe(400);
    return response.body.error as string;
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
    worker = await DetectorWorkerUnderTest.start(platform.stores.prefix, { TEXT_DETECTOR_THRESHOLD: '0.5' }, { textDetector: true });
  });

  afterAll(async () => {
    await worker?.close();
    await platform?.close();
  });

  it("answers a text with the default model: the probability the bare graph gives, and the seed's fields", async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const output = await completed({ text });
    const expected = await referenceFake(worker.modelsDir, text);
    const [result] = output.results;
    expect(Math.abs(result.probability - expected)).toBeLessThan(1e-6);
    expect(output).toEqual({
      model_id: DEFAULT_TEXT_MODEL_ID,
      model_version: `${GENERATED_MODELS.textDetector.repoId}@local`,
      threshold: 0.5,
      results: [
        {
          prediction: result.probability >= 0.5 ? 1 : 0,
          probability: result.probability,
          confidence: expect.closeTo(Math.abs(result.probability - 0.5) * 2, 12),
          is_fake: result.probability >= 0.5,
          label: result.probability >= 0.5 ? 'Fake' : 'Real',
          probabilities: { Fake: result.probability, Real: expect.closeTo(1 - result.probability, 12) },
          tokens: expect.any(Number),
          windows: 1,
        },
      ],
      latency_ms: expect.any(Number),
      execution_provider: 'cpu',
    });
  });

  it('answers a batch in order, a long text read in several windows, with the threshold asked for', async () => {
    const texts = ['Hello world.', longText(260), 'Writing is thinking on paper.'];
    const output = await completed({ texts, model_id: DEFAULT_TEXT_MODEL_ID, threshold: 0.2 });
    expect(output.threshold).toBe(0.2);
    expect(output.results.map((result: { windows: number }) => result.windows > 1)).toEqual([false, true, false]);
    for (const [i, text] of [texts[0], texts[2]].entries()) {
      const result = output.results[i * 2];
      expect(Math.abs(result.probability - (await referenceFake(worker.modelsDir, text)))).toBeLessThan(1e-6);
      expect(result.is_fake).toBe(result.probability >= 0.2);
    }
  });

  it('refuses bad input with a 400 naming the field', async () => {
    expect(await refused({})).toBe('input: needs text or texts');
    expect(await refused({ text: '' })).toBe('input.text: must be at least 1 character');
    expect(await refused({ text: 'x'.repeat(10_001) })).toMatch(/^input\.text: .*10000 characters/);
    expect(await refused({ texts: Array.from({ length: 101 }, () => 'a') })).toBe('input.texts: must hold at most 100 texts');
    expect(await refused({ text: 'a', texts: ['b'] })).toBe('input.texts: give text or texts, not both');
    expect(await refused({ text: 'a', threshold: 1 })).toBe('input.threshold: must be below 1');
    expect(await refused({ text: 'a', modle_id: 'x' })).toMatch(/^input\.modle_id: is not a field of text-detector/);
  });

  it('fails the job for an unknown model, naming the field and the models it has', async () => {
    const response = await runsync({ text: 'Hello', model_id: 'nope/unknown-detector' });
    expect(response.body).toMatchObject({
      status: 'FAILED',
      error: `model_id: unknown model "nope/unknown-detector"; the models are ${DEFAULT_TEXT_MODEL_ID}`,
    });
  });
});
