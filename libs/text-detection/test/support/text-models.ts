import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { loadModelRuntimeConfig, ModelSessions, ModelStore, type ModelRuntimeConfig } from '@switchyard/model-runtime';
import { BERT_VOCAB_SIZE, GENERATED_MODELS, generateModels, writeOnnxFile, type GraphSpec } from '@switchyard/model-zoo';

export const ROBERTA_REPO = GENERATED_MODELS.textDetector.repoId;
/** A BERT WordPiece classifier with int32 ids, token types and the labels the other way round (as e5-small detectors have them). */
export const WORDPIECE_REPO = 'test/wordpiece-ai-detector';
export const WORDPIECE_LABELS = { 0: 'human', 1: 'AI' };

/**
 * A classifier small enough to write by hand: the mean over unmasked tokens of word + token-type
 * embeddings, two wide, as logits. Its inputs are int32, as some exports have them.
 */
function wordPieceClassifier(): GraphSpec {
  const ids = (name: string) => ({ name, type: 'int32' as const, dims: ['batch_size', 'sequence_length'] });
  return {
    name: 'wordpiece-ai-detector',
    seed: WORDPIECE_REPO,
    inputs: [ids('input_ids'), ids('attention_mask'), ids('token_type_ids')],
    outputs: [{ name: 'logits', type: 'float32', dims: ['batch_size', 2] }],
    initializers: [
      { name: 'word', type: 'float32', dims: [BERT_VOCAB_SIZE, 2], init: { kind: 'uniform', low: -3, high: 3 } },
      { name: 'types', type: 'float32', dims: [2, 2], init: { kind: 'uniform', low: -1, high: 1 } },
      { name: 'last_axis', type: 'int64', dims: [1], init: { kind: 'values', values: [-1] } },
      { name: 'sequence_axis', type: 'int64', dims: [1], init: { kind: 'values', values: [1] } },
    ],
    nodes: [
      { opType: 'Gather', inputs: ['word', 'input_ids'], outputs: ['words'], attributes: { axis: { int: 0 } } },
      { opType: 'Gather', inputs: ['types', 'token_type_ids'], outputs: ['segments'], attributes: { axis: { int: 0 } } },
      { opType: 'Add', inputs: ['words', 'segments'], outputs: ['embedded'], attributes: {} },
      { opType: 'Cast', inputs: ['attention_mask'], outputs: ['mask'], attributes: { to: { int: 1 } } },
      { opType: 'Unsqueeze', inputs: ['mask', 'last_axis'], outputs: ['mask3'], attributes: {} },
      { opType: 'Mul', inputs: ['embedded', 'mask3'], outputs: ['masked'], attributes: {} },
      { opType: 'ReduceSum', inputs: ['masked', 'sequence_axis'], outputs: ['summed'], attributes: { keepdims: { int: 0 } } },
      { opType: 'ReduceSum', inputs: ['mask3', 'sequence_axis'], outputs: ['count'], attributes: { keepdims: { int: 0 } } },
      { opType: 'Div', inputs: ['summed', 'count'], outputs: ['logits'], attributes: {} },
    ],
  };
}

/** The tiny RoBERTa detector of the model zoo and a hand-written WordPiece one, in a temporary model folder. */
export class TextModels {
  private constructor(
    readonly outDir: string,
    readonly store: ModelStore,
    readonly sessions: ModelSessions,
  ) {}

  static async generate({ inferenceThreads = 0 } = {}): Promise<TextModels> {
    const outDir = await mkdtemp(join(tmpdir(), 'text-detection-models-'));
    await generateModels({ outDir, tiers: ['tiny'], models: ['textDetector', 'miniLm'] });
    const models = new TextModels(
      outDir,
      new ModelStore({ cacheDir: join(outDir, 'cache'), modelDir: join(outDir, 'tiny'), offline: true }),
      new ModelSessions({ executionProviders: ['cpu'], inferenceThreads }),
    );
    const miniLm = GENERATED_MODELS.miniLm.repoId;
    await mkdir(models.path(WORDPIECE_REPO, 'onnx'), { recursive: true });
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) await copyFile(models.path(miniLm, file), models.path(WORDPIECE_REPO, file));
    await writeFile(
      models.path(WORDPIECE_REPO, 'config.json'),
      JSON.stringify({ model_type: 'bert', max_position_embeddings: 512, pad_token_id: 0, id2label: WORDPIECE_LABELS }),
    );
    await writeOnnxFile(models.path(WORDPIECE_REPO, 'onnx/model.onnx'), wordPieceClassifier(), 'test');
    return models;
  }

  /** The model runtime settings of a worker serving this folder offline. */
  runtime(inferenceThreads = 0): ModelRuntimeConfig {
    return loadModelRuntimeConfig({
      MODEL_DIR: join(this.outDir, 'tiny'),
      MODEL_CACHE_DIR: join(this.outDir, 'cache'),
      HF_HUB_OFFLINE: 'true',
      MODEL_INFERENCE_THREADS: String(inferenceThreads),
    });
  }

  path(repo: string, file: string): string {
    return join(this.outDir, 'tiny', ...repo.split('/'), file);
  }

  async tokenizer(repo: string): Promise<Tokenizer> {
    const read = async (file: string) => JSON.parse(await readFile(this.path(repo, file), 'utf8'));
    return new Tokenizer(await read('tokenizer.json'), await read('tokenizer_config.json'));
  }

  rawSession(repo: string): Promise<ort.InferenceSession> {
    return ort.InferenceSession.create(this.path(repo, 'onnx/model.onnx'));
  }

  async remove(): Promise<void> {
    await this.sessions.release();
    this.store.close();
    await rm(this.outDir, { recursive: true, force: true });
  }
}

/** Sentences unlike each other, so that windows of a long text differ. */
export function longText(sentences: number): string {
  const subjects = ['The detector', 'A person', 'The model', 'She', 'They', 'We', 'The report', 'Language'];
  const verbs = ['reads', 'writes', 'repeats', 'changes', 'says', 'thinks about', 'waited for', 'walked to'];
  const objects = ['the text', 'the station', 'the weather', 'the results', 'the future of the city', 'an essay', 'the code', 'the windows'];
  return Array.from(
    { length: sentences },
    (_, i) => `${subjects[i % 8]} ${verbs[(i * 3) % 8]} ${objects[(i * 5 + Math.floor(i / 8)) % 8]} ${i % 7 === 0 ? `in ${1900 + i}` : 'again'}.`,
  ).join(' ');
}
