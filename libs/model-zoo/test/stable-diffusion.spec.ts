import * as ort from 'onnxruntime-node';
import { SD_TINY_TEXT_WIDTH } from '../src';
import { floats, maxAbsDifference, patternTensor, TinyZoo } from './support/tiny-zoo';

describe('sd-turbo parts (tiny)', () => {
  let zoo: TinyZoo;
  let textEncoder: ort.InferenceSession;
  let unet: ort.InferenceSession;
  let vaeDecoder: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['stableDiffusion']);
    [textEncoder, unet, vaeDecoder] = await Promise.all(
      ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx'].map((file) => zoo.session('stableDiffusion', file)),
    );
  });
  afterAll(() => zoo.remove());

  it('encodes a 77-token prompt into per-token states, pooled at the end-of-text token', async () => {
    const ids = [49406, 320, 1929, 49407, ...Array.from({ length: 73 }, () => 49407)];
    const output = await textEncoder.run({ input_ids: new ort.Tensor('int32', Int32Array.from(ids), [1, ids.length]) });
    expect(output.last_hidden_state.dims).toEqual([1, 77, SD_TINY_TEXT_WIDTH]);
    expect(output.pooler_output.dims).toEqual([1, SD_TINY_TEXT_WIDTH]);
    const endOfText = floats(output.last_hidden_state).subarray(3 * SD_TINY_TEXT_WIDTH, 4 * SD_TINY_TEXT_WIDTH);
    expect(maxAbsDifference(floats(output.pooler_output), endOfText)).toBe(0);
  });

  it('predicts noise of the latent shape, depending on the timestep and the text', async () => {
    const sample = patternTensor([2, 4, 5, 7]);
    const text = patternTensor([2, 77, SD_TINY_TEXT_WIDTH], 1);
    const run = (timestep: number, states = text) =>
      unet.run({ sample, timestep: new ort.Tensor('int64', BigInt64Array.of(BigInt(timestep)), [1]), encoder_hidden_states: states });
    const [early, late, otherText] = await Promise.all([run(999), run(1), run(999, patternTensor([2, 77, SD_TINY_TEXT_WIDTH], 3))]);
    expect(early.out_sample.dims).toEqual([2, 4, 5, 7]);
    expect(maxAbsDifference(floats(early.out_sample), floats(late.out_sample))).toBeGreaterThan(1e-3);
    expect(maxAbsDifference(floats(early.out_sample), floats(otherText.out_sample))).toBeGreaterThan(1e-3);
  });

  it('decodes latents into an image 8× larger', async () => {
    const { sample } = await vaeDecoder.run({ latent_sample: patternTensor([1, 4, 3, 5]) });
    expect(sample.dims).toEqual([1, 3, 24, 40]);
    expect(floats(sample).every(Number.isFinite)).toBe(true);
  });
});
