import { TextDetector, TooManyWindowsError, type TextDetection, type TextModelEntry } from '../src';
import { longText, ROBERTA_REPO, TextModels, WORDPIECE_REPO } from './support/text-models';
import * as ort from 'onnxruntime-node';

const ROBERTA: TextModelEntry = { repo: ROBERTA_REPO, file: 'onnx/model.onnx', machineLabel: 'Fake' };
const WORDPIECE: TextModelEntry = { repo: WORDPIECE_REPO, file: 'onnx/model.onnx', machineLabel: 'AI', maxLength: 64, overlap: 16 };

interface Reference {
  readonly probabilities: number[];
  readonly tokens: number;
  readonly windows: number;
}

/**
 * The detector's answer computed another way: the text's ids from the tokenizer, windows cut here
 * (special tokens put around each), each window run alone in its own session, a float64 softmax,
 * and the windows' mean weighted by their text tokens.
 */
async function independently(
  models: TextModels,
  repo: string,
  text: string,
  plan: { maxLength: number; overlap: number; leading: number; trailing: number; ids: 'int32' | 'int64'; tokenTypes: boolean },
): Promise<Reference> {
  const ids = (await models.tokenizer(repo)).encode(text, { add_special_tokens: false }).ids as number[];
  const capacity = plan.maxLength - 2;
  const windows: { ids: number[]; textTokens: number }[] = [];
  for (let start = 0; ; start += capacity - plan.overlap) {
    const end = Math.min(start + capacity, ids.length);
    windows.push({ ids: [plan.leading, ...ids.slice(start, end), plan.trailing], textTokens: end - start });
    if (end >= ids.length) break;
  }
  const session = await models.rawSession(repo);
  const tensor = (values: number[]) =>
    plan.ids === 'int64'
      ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length])
      : new ort.Tensor('int32', Int32Array.from(values), [1, values.length]);
  const sums = [0, 0];
  let weight = 0;
  for (const window of windows) {
    const feeds: Record<string, ort.Tensor> = { input_ids: tensor(window.ids), attention_mask: tensor(window.ids.map(() => 1)) };
    if (plan.tokenTypes) feeds.token_type_ids = tensor(window.ids.map(() => 0));
    const logits = [...((await session.run(feeds)).logits.data as Float32Array)];
    const max = Math.max(...logits);
    const exps = logits.map((logit) => Math.exp(logit - max));
    const total = exps[0] + exps[1];
    exps.forEach((value, label) => (sums[label] += (value / total) * window.textTokens));
    weight += window.textTokens;
  }
  await session.release();
  return { probabilities: sums.map((sum) => sum / weight), tokens: ids.length, windows: windows.length };
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(tolerance));
}

describe.each([
  ['on the calling thread', 0],
  ['in an inference thread', 1],
])('TextDetector %s', (_, inferenceThreads) => {
  let models: TextModels;
  let roberta: TextDetector;
  let wordPiece: TextDetector;

  beforeAll(async () => {
    models = await TextModels.generate({ inferenceThreads });
    roberta = await TextDetector.load(models.store, models.sessions, 'roberta', ROBERTA);
    wordPiece = await TextDetector.load(models.store, models.sessions, 'wordpiece', WORDPIECE);
  });
  afterAll(async () => {
    await roberta.close();
    await wordPiece.close();
    await models.remove();
  });

  it("reads a long text in RoBERTa's 512-token windows, as an independent computation does", async () => {
    const text = longText(300);
    expect(roberta.spec).toMatchObject({ maxLength: 512, overlap: 128, machineLabelIndex: 0 });
    const [detection] = await roberta.detect([text]);
    const reference = await independently(models, ROBERTA_REPO, text, {
      maxLength: 512,
      overlap: 128,
      leading: 0,
      trailing: 2,
      ids: 'int64',
      tokenTypes: false,
    });
    expect(reference.windows).toBeGreaterThanOrEqual(3);
    expect({ tokens: detection.tokens, windows: detection.windows }).toEqual({ tokens: reference.tokens, windows: reference.windows });
    expectClose(detection.probabilities, reference.probabilities);
  });

  it('feeds a WordPiece model int32 ids and token types, as its inputs declare, windows of the configured length', async () => {
    const text = longText(40);
    const [detection] = await wordPiece.detect([text]);
    const reference = await independently(models, WORDPIECE_REPO, text, {
      maxLength: 64,
      overlap: 16,
      leading: 101,
      trailing: 102,
      ids: 'int32',
      tokenTypes: true,
    });
    expect(reference.windows).toBeGreaterThanOrEqual(4);
    expect({ tokens: detection.tokens, windows: detection.windows }).toEqual({ tokens: reference.tokens, windows: reference.windows });
    expectClose(detection.probabilities, reference.probabilities);
  });

  it('gives the same answers when the windows of concurrent texts share runs as when each runs alone', async () => {
    const texts = [longText(3), longText(90), 'Hello world.', longText(25), ' ', longText(140)];
    const alone: TextDetection[] = [];
    for (const text of texts) alone.push((await wordPiece.detect([text]))[0]);
    const before = wordPiece.stats();
    const together = [...(await wordPiece.detect(texts)), ...(await Promise.all(texts.map(async (text) => (await wordPiece.detect([text]))[0])))];
    const after = wordPiece.stats();
    const windows = 2 * alone.reduce((sum, detection) => sum + detection.windows, 0);
    expect(after.itemsRun - before.itemsRun).toBe(windows);
    expect(after.batchesRun - before.batchesRun).toBeLessThan(windows / 2);
    together.forEach((detection, i) => {
      const expected = alone[i % texts.length];
      expect(detection.windows).toBe(expected.windows);
      expectClose(detection.probabilities, expected.probabilities);
    });
    const robertaTogether = await Promise.all(texts.map((text) => roberta.detect([text])));
    for (const [i, text] of texts.entries()) expectClose(robertaTogether[i][0].probabilities, (await roberta.detect([text]))[0].probabilities);
  });

  it('refuses a text that reads in more windows than allowed, naming the text', async () => {
    const capped = await TextDetector.load(models.store, models.sessions, 'capped', WORDPIECE, { maxWindowsPerText: 2 });
    try {
      await expect(capped.detect(['Hello.', longText(40)])).rejects.toThrow(TooManyWindowsError);
      await expect(capped.detect(['Hello.', longText(40)])).rejects.toThrow(/^text 1: reads in \d+ windows, more than the limit of 2$/);
      expect((await capped.detect([longText(3)]))[0].windows).toBe(1);
    } finally {
      await capped.close();
    }
  });

  it("tokenizes a request of over 16k characters in the tokenizer's thread, to the same answers", async () => {
    const texts = [longText(250), longText(251), longText(252)];
    expect(texts.join('').length).toBeGreaterThan(16_384);
    const together = await roberta.detect(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await roberta.detect([text]);
      expect(together[i].tokens).toBe(alone.tokens);
      expectClose(together[i].probabilities, alone.probabilities);
    }
  });
});
