import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TextDetectorOutput } from '@switchyard/shared';
import { DEFAULT_TEXT_MODEL_ID, loadTextModelRegistry, TextDetectorRegistryError, TextDetectorService, textModelSpec, UnknownTextModelError } from '../src';
import { longText, ROBERTA_REPO, TextModels, WORDPIECE_LABELS, WORDPIECE_REPO } from './support/text-models';

const logger = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never;
const WORDPIECE_ID = 'test/e5-small-ai-detector';
const MODELS = JSON.stringify({ [WORDPIECE_ID]: { repo: WORDPIECE_REPO, machineLabel: 'ai', maxLength: 64 } });

describe('TextDetectorService', () => {
  let models: TextModels;
  let service: TextDetectorService;

  beforeAll(async () => {
    models = await TextModels.generate();
    service = await TextDetectorService.load(
      { registry: loadTextModelRegistry({ json: MODELS }), threshold: 0.5, detector: {}, runtime: models.runtime() },
      logger,
    );
  });
  afterAll(async () => {
    await service.close();
    await models.remove();
  });

  const succeed = async (input: Record<string, unknown>): Promise<TextDetectorOutput> => {
    const output = await service.handle(input as never);
    if ('error' in output) throw new Error(output.error);
    return output;
  };

  it('answers the seed\'s fields per text with the default model, whose machine label "Fake" is class 0', async () => {
    const output = await succeed({ texts: ['Hello world.', longText(250)] });
    expect(output).toMatchObject({ model_id: DEFAULT_TEXT_MODEL_ID, model_version: `${ROBERTA_REPO}@local`, threshold: 0.5, execution_provider: 'cpu' });
    expect(output.results).toHaveLength(2);
    for (const result of output.results) {
      expect(Object.keys(result.probabilities)).toEqual(['Fake', 'Real']);
      expect(result.probability).toBe(result.probabilities.Fake);
      expect(result.probabilities.Fake + result.probabilities.Real).toBeCloseTo(1, 12);
      expect(result.confidence).toBeCloseTo(Math.abs(result.probability - 0.5) * 2, 12);
      expect(result.is_fake).toBe(result.probability >= 0.5);
      expect(result.prediction).toBe(result.is_fake ? 1 : 0);
      expect(result.label).toBe(result.is_fake ? 'Fake' : 'Real');
    }
    expect(output.results[0].windows).toBe(1);
    expect(output.results[1].windows).toBeGreaterThan(1);
  });

  it('reads the machine label of a model with the other label order from its config and the registry', async () => {
    const text = longText(12);
    const output = await succeed({ text, model_id: WORDPIECE_ID });
    const [result] = output.results;
    expect(Object.keys(result.probabilities)).toEqual(Object.values(WORDPIECE_LABELS));
    expect(result.probability).toBe(result.probabilities.AI);
    expect(result.tokens).toBe((await models.tokenizer(WORDPIECE_REPO)).encode(text, { add_special_tokens: false }).ids.length);

    // A threshold on either side of the probability flips the verdict and the predicted label.
    const below = await succeed({ text, model_id: WORDPIECE_ID, threshold: Math.max(result.probability - 0.01, 0.001) });
    const above = await succeed({ text, model_id: WORDPIECE_ID, threshold: Math.min(result.probability + 0.01, 0.999) });
    expect(below.results[0]).toMatchObject({ is_fake: true, prediction: 1, label: 'AI' });
    expect(above.results[0]).toMatchObject({ is_fake: false, prediction: 0, label: 'human' });
  });

  it('fails a job for an unknown model, naming the field and listing the models', async () => {
    expect(await service.handle({ text: 'hi', model_id: 'nope/nope' })).toEqual({
      error: `model_id: unknown model "nope/nope"; the models are ${DEFAULT_TEXT_MODEL_ID}, ${WORDPIECE_ID}`,
    });
    expect(() => service.detectorOf('nope/nope')).toThrow(UnknownTextModelError);
  });

  it('fails a job for input the contract refuses, naming the field', async () => {
    expect(await service.handle({ text: '' })).toEqual({ error: 'text: must be at least 1 character' });
    expect(await service.handle({ texts: ['a'], text: 'b' } as never)).toEqual({ error: 'texts: give text or texts, not both' });
  });

  it('describes every loaded model for /health', () => {
    const described = service.describe() as { defaultModel: string; models: Record<string, { labels: unknown; maxLength: number; overlap: number }> };
    expect(described.defaultModel).toBe(DEFAULT_TEXT_MODEL_ID);
    expect(described.models[WORDPIECE_ID]).toMatchObject({ labels: WORDPIECE_LABELS, maxLength: 64, overlap: 16 });
    expect(described.models[DEFAULT_TEXT_MODEL_ID]).toMatchObject({ maxLength: 512, overlap: 128 });
  });

  it("gives a browser client a model's files with their sizes, its labels and its windows, without a session", async () => {
    const registry = loadTextModelRegistry({ json: MODELS });
    const spec = await textModelSpec(models.store, registry);
    expect(spec).toMatchObject({
      modelId: DEFAULT_TEXT_MODEL_ID,
      repo: ROBERTA_REPO,
      revision: null,
      machineLabel: 'Fake',
      machineLabelIndex: 0,
      maxLength: 512,
      overlap: 128,
    });
    expect(spec.id2label).toEqual({ 0: 'Fake', 1: 'Real' });
    for (const [file, described] of [
      ['onnx/model.onnx', spec.files.onnx],
      ['tokenizer.json', spec.files.tokenizer],
      ['tokenizer_config.json', spec.files.tokenizerConfig],
      ['config.json', spec.files.config],
    ] as const) {
      expect(described).toEqual({ file, path: models.path(ROBERTA_REPO, file), bytes: (await stat(models.path(ROBERTA_REPO, file))).size });
    }
    expect(await textModelSpec(models.store, registry, WORDPIECE_ID)).toMatchObject({ machineLabelIndex: 1, maxLength: 64, overlap: 16 });
    await expect(textModelSpec(models.store, registry, 'nope')).rejects.toThrow(UnknownTextModelError);
  });

  describe('refuses to start', () => {
    const load = (json: string) =>
      TextDetectorService.load({ registry: loadTextModelRegistry({ json }), threshold: 0.5, detector: {}, runtime: models.runtime() }, logger);

    it('when a model misses a file, naming the model and the file', async () => {
      await cp(models.path(ROBERTA_REPO, ''), models.path('test/no-tokenizer', ''), { recursive: true });
      await rm(models.path('test/no-tokenizer', 'tokenizer.json'));
      await expect(load(JSON.stringify({ 'no-tokenizer': { repo: 'test/no-tokenizer', machineLabel: 'Fake' } }))).rejects.toThrow(
        /Text detector model "no-tokenizer" cannot be served: .*"tokenizer\.json"/,
      );
      // A folder missing only the graph asked for, so the missing file named can only be that one.
      await expect(load(JSON.stringify({ 'no-graph': { repo: ROBERTA_REPO, file: 'onnx/model_fp16.onnx', machineLabel: 'Fake' } }))).rejects.toThrow(
        /"onnx\/model_fp16\.onnx"/,
      );
    });

    it('when the machine label is not a label of the model, listing its labels', async () => {
      await expect(load(JSON.stringify({ [DEFAULT_TEXT_MODEL_ID]: { repo: ROBERTA_REPO, machineLabel: 'ChatGPT' } }))).rejects.toThrow(
        /the model has no label "ChatGPT"; its labels are Fake, Real/,
      );
    });

    it('when the configured window does not fit the model', async () => {
      await expect(load(JSON.stringify({ [DEFAULT_TEXT_MODEL_ID]: { repo: ROBERTA_REPO, machineLabel: 'Fake', maxLength: 600 } }))).rejects.toThrow(
        /maxLength 600 is more than the 512 tokens the model reads/,
      );
      await expect(load(JSON.stringify({ [DEFAULT_TEXT_MODEL_ID]: { repo: ROBERTA_REPO, machineLabel: 'Fake', maxLength: 32, overlap: 30 } }))).rejects.toThrow(
        /the overlap \(30\) must be a whole number from 0 to below the window's 30 text tokens/,
      );
    });
  });
});

describe('loadTextModelRegistry', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'text-registry-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('holds the default model unless told otherwise', () => {
    const registry = loadTextModelRegistry();
    expect(registry.ids).toEqual([DEFAULT_TEXT_MODEL_ID]);
    expect(registry.entry()).toEqual({ repo: 'onnx-community/roberta-base-openai-detector-ONNX', file: 'onnx/model.onnx', machineLabel: 'Fake' });
  });

  it('adds models from a file, then from the JSON; the JSON wins, null removes, and the default follows', async () => {
    const file = join(folder, 'models.json');
    await writeFile(
      file,
      JSON.stringify({
        'Hello-SimpleAI/chatgpt-detector-roberta': { repo: 'someone/chatgpt-detector-roberta-onnx', machineLabel: 'ChatGPT' },
        'fakespot-ai/roberta-base-ai-text-detection-v1': { repo: 'someone/fakespot-onnx', machineLabel: 'AI' },
      }),
    );
    const registry = loadTextModelRegistry({
      file,
      json: JSON.stringify({
        [DEFAULT_TEXT_MODEL_ID]: null,
        'fakespot-ai/roberta-base-ai-text-detection-v1': { repo: 'other/fakespot', revision: 'v2', machineLabel: 'AI' },
      }),
    });
    expect(registry.ids).toEqual(['Hello-SimpleAI/chatgpt-detector-roberta', 'fakespot-ai/roberta-base-ai-text-detection-v1']);
    expect(registry.defaultModel).toBe('Hello-SimpleAI/chatgpt-detector-roberta');
    expect(registry.entry('fakespot-ai/roberta-base-ai-text-detection-v1')).toEqual({
      repo: 'other/fakespot',
      revision: 'v2',
      file: 'onnx/model.onnx',
      machineLabel: 'AI',
    });
    expect(loadTextModelRegistry({ file, defaultModel: 'fakespot-ai/roberta-base-ai-text-detection-v1' }).defaultModel).toBe(
      'fakespot-ai/roberta-base-ai-text-detection-v1',
    );
  });

  it.each([
    ['not JSON', '{', /TEXT_DETECTOR_MODELS is not JSON/],
    ['not an object of models', '[1]', /TEXT_DETECTOR_MODELS: must be a JSON object of model ids/],
    ['an entry without machineLabel', '{"m": {"repo": "a/b"}}', /TEXT_DETECTOR_MODELS\["m"\]\["machineLabel"\]/],
    ['an unknown key', '{"m": {"repo": "a/b", "machineLabel": "AI", "label": "x"}}', /TEXT_DETECTOR_MODELS\["m"\].*label/],
    ['a fractional maxLength', '{"m": {"repo": "a/b", "machineLabel": "AI", "maxLength": 1.5}}', /\["maxLength"\]/],
    ['no model left', `{"${DEFAULT_TEXT_MODEL_ID}": null}`, /holds no model/],
  ])('refuses %s, saying where', (_, json, message) => {
    expect(() => loadTextModelRegistry({ json })).toThrow(TextDetectorRegistryError);
    expect(() => loadTextModelRegistry({ json })).toThrow(message);
  });

  it('refuses a default model it does not hold and a file it cannot read', () => {
    expect(() => loadTextModelRegistry({ defaultModel: 'x/y' })).toThrow(
      `The default text model "x/y" is not in the registry; its models are ${DEFAULT_TEXT_MODEL_ID}`,
    );
    expect(() => loadTextModelRegistry({ file: join(folder, 'missing.json') })).toThrow(/Cannot read the text detector registry .*missing\.json/);
  });
});
