import type { InferenceSession } from 'onnxruntime-node';
import { GENERATED_MODELS, MODEL_KEYS, type GraphSignature, type TensorSignature } from '../src';
import { TinyZoo } from './support/tiny-zoo';

function describeValue(metadata: InferenceSession.ValueMetadata): TensorSignature {
  if (!metadata.isTensor) throw new Error(`${metadata.name} is not a tensor`);
  return { name: metadata.name, type: metadata.type as TensorSignature['type'], dims: metadata.shape };
}

const tinyGraphs = MODEL_KEYS.flatMap((model) =>
  (GENERATED_MODELS[model].graphs as readonly GraphSignature[]).map((graph) => [model, graph.file, graph] as const),
);

describe('tiny models, as onnxruntime-node loads them', () => {
  let zoo: TinyZoo;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(MODEL_KEYS);
  });
  afterAll(() => zoo.remove());

  it.each(tinyGraphs)('%s %s declares exactly the inputs and outputs of GENERATED_MODELS', async (model, file, graph) => {
    const session = await zoo.session(model, file);
    expect(session.inputMetadata.map(describeValue)).toEqual(graph.inputs);
    expect(session.outputMetadata.map(describeValue)).toEqual(graph.outputs);
    await session.release();
  });
});
