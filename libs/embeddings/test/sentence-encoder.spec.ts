import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelSessions, ModelSignatureMismatchError, ModelStore } from '@switchyard/model-runtime';
import { SENTENCE_ENCODER_FILES, SentenceEncoder } from '../src';
import { TinyModels } from './support/tiny-models';

/** sentence-transformers' result computed apart: one text per run (no padding), float64 mean over its tokens, float64 norm. */
async function referenceEmbedding(session: ort.InferenceSession, ids: readonly number[]): Promise<number[]> {
  const dims = [1, ids.length];
  const { last_hidden_state: hidden } = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), dims),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), dims),
  });
  const width = hidden.dims[2];
  const data = hidden.data as Float32Array;
  const mean = Array.from({ length: width }, (_, i) => {
    let sum = 0;
    for (let token = 0; token < ids.length; token++) sum += data[token * width + i];
    return sum / ids.length;
  });
  const norm = Math.sqrt(mean.reduce((sum, value) => sum + value * value, 0));
  return mean.map((value) => value / norm);
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i])));
}

describe.each(TinyModels.placements)('SentenceEncoder (tiny all-MiniLM-L6-v2) %s', (_placement, inferenceThreads) => {
  let models: TinyModels;
  let encoder: SentenceEncoder;
  let reference: ort.InferenceSession;

  beforeAll(async () => {
    models = await TinyModels.generate({ inferenceThreads });
    encoder = await SentenceEncoder.load(models.store, models.sessions, TinyModels.miniLm);
    reference = await ort.InferenceSession.create(models.path(TinyModels.miniLm.repo, SENTENCE_ENCODER_FILES.graph));
  });
  afterAll(async () => {
    await reference.release();
    await models.remove();
  });

  it('reads its dimensions and sentence-transformers’ maximum length from the model files', () => {
    expect(encoder.dimensions).toBe(384);
    expect(encoder.tokenizer.maxLength).toBe(256);
    expect(encoder.name).toBe('sentence-transformers/all-MiniLM-L6-v2/onnx/model.onnx');
  });

  it('gives, for texts of different lengths batched together, the mean-pooled and normalized vectors of each alone', async () => {
    const texts = ['red leather shoes', 'a much longer sentence about blue cotton jackets and black leather bags', 'x'];
    const tokenized = texts.map((text) => encoder.tokenizer.encode(text));
    const vectors = await encoder.embedBatch(tokenized);
    expect(vectors).toHaveLength(3);
    for (const [index, vector] of vectors.entries()) {
      expect(vector).toHaveLength(384);
      expect(maxDifference(vector, await referenceEmbedding(reference, tokenized[index].ids))).toBeLessThan(1e-5);
    }
    expect(maxDifference(vectors[0], vectors[1])).toBeGreaterThan(1e-3);
  });

  it('embeds a text cut at the maximum length as its first 255 tokens and [SEP]', async () => {
    const long = encoder.tokenizer.encode('shoes and jackets '.repeat(200));
    expect(long.truncated).toBe(true);
    const [vector] = await encoder.embedBatch([long]);
    expect(maxDifference(vector, await referenceEmbedding(reference, long.ids))).toBeLessThan(1e-5);
  });

  it('refuses to load weights whose output width differs from what config.json says', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'embeddings-wrong-'));
    const repoDir = join(folder, ...TinyModels.miniLm.repo.split('/'));
    await cp(models.path(TinyModels.miniLm.repo, ''), repoDir, { recursive: true });
    const config = JSON.parse(await readFile(join(repoDir, 'config.json'), 'utf8'));
    await writeFile(join(repoDir, 'config.json'), JSON.stringify({ ...config, hidden_size: 768 }));
    const store = new ModelStore({ cacheDir: join(folder, 'cache'), modelDir: folder, offline: true });
    const sessions = new ModelSessions({ executionProviders: ['cpu'], inferenceThreads });
    try {
      await expect(SentenceEncoder.load(store, sessions, TinyModels.miniLm)).rejects.toThrow(ModelSignatureMismatchError);
    } finally {
      await sessions.release();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
