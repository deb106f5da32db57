import { readFile, writeFile } from 'node:fs/promises';
import { onnx } from 'onnx-proto';

const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;

function cast(from: string, to: string, type: number): onnx.INodeProto {
  return { opType: 'Cast', name: `cast_${to}`, input: [from], output: [to], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: type }] };
}

/**
 * Rewrites an ONNX file so that the named float inputs and outputs are float16 at the graph's edge
 * (cast to and from float32 inside), as a half-precision export presents them.
 */
export async function halfPrecisionEdges(path: string, inputs: readonly string[], outputs: readonly string[]): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(path));
  const graph = model.graph!;
  const nodes = graph.node!;
  const first: onnx.INodeProto[] = [];
  for (const name of inputs) {
    const inner = `${name}__float32`;
    for (const node of nodes) node.input = node.input!.map((input) => (input === name ? inner : input));
    first.push(cast(name, inner, FLOAT));
    graph.input!.find((value) => value.name === name)!.type!.tensorType!.elemType = FLOAT16;
  }
  const last: onnx.INodeProto[] = [];
  for (const name of outputs) {
    const inner = `${name}__float32`;
    for (const node of nodes) node.output = node.output!.map((output) => (output === name ? inner : output));
    last.push(cast(inner, name, FLOAT16));
    graph.output!.find((value) => value.name === name)!.type!.tensorType!.elemType = FLOAT16;
  }
  graph.node = [...first, ...nodes, ...last];
  await writeFile(path, onnx.ModelProto.encode(model).finish());
}
