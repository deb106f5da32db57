import { writeFile } from 'node:fs/promises';
import { onnx } from 'onnx-proto';

type Dim = number | string;

const { FLOAT, INT64 } = onnx.TensorProto.DataType;

function tensorValue(name: string, elemType: number, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function encodeModel(graph: onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'switchyard-tests', graph }),
  ).finish();
}

/** y = x · W + b with W = [[1, 2, 3], [4, 5, 6]] and b = [0.5, -1, 2]; x: float32 [batch, 2] → y: float32 [batch, 3]. */
export async function writeLinearModel(path: string): Promise<void> {
  await writeFile(
    path,
    encodeModel({
      name: 'linear',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xW'] },
        { opType: 'Add', input: ['xW', 'b'], output: ['y'] },
      ],
      initializer: [
        { name: 'W', dataType: FLOAT, dims: [2, 3], floatData: [1, 2, 3, 4, 5, 6] },
        { name: 'b', dataType: FLOAT, dims: [3], floatData: [0.5, -1, 2] },
      ],
      input: [tensorValue('x', FLOAT, ['batch', 2])],
      output: [tensorValue('y', FLOAT, ['batch', 3])],
    }),
  );
}

/** An embedding lookup: input_ids int64 [batch, sequence] → embeddings float32 [batch, sequence, 4] from a 10-row table. */
export async function writeEmbeddingModel(path: string): Promise<void> {
  await writeFile(
    path,
    encodeModel({
      name: 'embedding',
      node: [{ opType: 'Gather', input: ['table', 'input_ids'], output: ['embeddings'] }],
      initializer: [{ name: 'table', dataType: FLOAT, dims: [10, 4], floatData: Array.from({ length: 40 }, (_, i) => i) }],
      input: [tensorValue('input_ids', INT64, ['batch', 'sequence'])],
      output: [tensorValue('embeddings', FLOAT, ['batch', 'sequence', 4])],
    }),
  );
}
