import { readFile } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import { buildModel, ONNX_IR_VERSION, ONNX_OPSET, readWeight } from '../src';
import { TinyZoo } from './support/tiny-zoo';

describe('writeOnnxFile', () => {
  let zoo: TinyZoo;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['spai']);
  });
  afterAll(() => zoo.remove());

  it('writes a ModelProto that decodes to the graph and the weights it was given', async () => {
    const file = 'onnx/patch_aggregator.onnx';
    const graph = buildModel('spai', 'tiny').graphs.find((candidate) => candidate.path === file)!.graph;
    const model = onnx.ModelProto.decode(await readFile(zoo.path('spai', file)));

    expect(Number(model.irVersion)).toBe(ONNX_IR_VERSION);
    expect(model.opsetImport.map((opset) => [opset.domain, Number(opset.version)])).toEqual([['', ONNX_OPSET]]);
    const decoded = model.graph as onnx.GraphProto;
    expect(decoded.node.map((node) => node.opType)).toEqual(graph.nodes.map((node) => node.opType));
    expect(decoded.input.map((input) => input.name)).toEqual(graph.inputs.map((input) => input.name));
    expect(decoded.output.map((output) => output.name)).toEqual(graph.outputs.map((output) => output.name));
    expect(decoded.initializer.map((tensor) => tensor.name)).toEqual(graph.initializers.map((spec) => spec.name));

    const key = decoded.initializer.find((tensor) => tensor.name === 'patches_attention.key.weight') as onnx.TensorProto;
    expect(key.dims.map(Number)).toEqual([1096, 16]);
    const raw = key.rawData;
    expect(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))).toEqual(readWeight(graph, 'patches_attention.key.weight'));
  });
});
