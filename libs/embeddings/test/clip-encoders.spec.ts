import * as ort from 'onnxruntime-node';
import { CLIP_FILES, loadClipEncoders, type ClipEncoders } from '../src';
import { pngOf } from './support/images';
import { TinyModels } from './support/tiny-models';

function norm(vector: ArrayLike<number>): number {
  return Math.sqrt(Array.from(vector).reduce((sum, value) => sum + value * value, 0));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i])));
}

describe.each(TinyModels.placements)('CLIP encoders (tiny clip-vit-base-patch32) %s', (_placement, inferenceThreads) => {
  let models: TinyModels;
  let clip: ClipEncoders;

  beforeAll(async () => {
    models = await TinyModels.generate({ inferenceThreads });
    clip = await loadClipEncoders(models.store, models.sessions, TinyModels.clip, { maxPixels: 1_000_000 });
  });
  afterAll(() => models.remove());

  it('reads 512 dimensions, the 77-token text limit and CLIP’s preprocessing from the model files', () => {
    expect(clip.vision.dimensions).toBe(512);
    expect(clip.text.dimensions).toBe(512);
    expect(clip.text.tokenizer.maxLength).toBe(77);
    expect(clip.vision.preprocessor.settings).toMatchObject({ shortestEdge: 224, cropHeight: 224, cropWidth: 224 });
  });

  it('embeds each image of a batch as it would alone, normalized to length 1', async () => {
    const pixels = await Promise.all(
      [pngOf(320, 240, (x, y) => [x % 256, y % 256, 90]), pngOf(240, 320, (x, y) => [200, (x * y) % 256, 30])].map(async (image) =>
        clip.vision.preprocessor.preprocess(await image),
      ),
    );
    const batched = await clip.vision.embedBatch(pixels);
    const alone = await clip.vision.embedBatch([pixels[1]]);
    expect(maxDifference(batched[1], alone[0])).toBeLessThan(1e-5);
    expect(maxDifference(batched[0], batched[1])).toBeGreaterThan(1e-3);
    for (const vector of batched) expect(norm(vector)).toBeCloseTo(1, 5);
  });

  it('embeds texts padded with end of text as the text tower does each unpadded, normalized', async () => {
    const reference = await ort.InferenceSession.create(models.path(TinyModels.clip.repo, CLIP_FILES.text));
    try {
      const tokenized = ['a photo of a cat', 'dog'].map((text) => clip.text.tokenizer.encode(text));
      const vectors = await clip.text.embedBatch(tokenized);
      for (const [index, vector] of vectors.entries()) {
        const { ids } = tokenized[index];
        const { text_embeds: embeds } = await reference.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
        const raw = Array.from(embeds.data as Float32Array);
        const length = norm(raw);
        expect(
          maxDifference(
            vector,
            raw.map((value) => value / length),
          ),
        ).toBeLessThan(1e-5);
      }
    } finally {
      await reference.release();
    }
  });
});
