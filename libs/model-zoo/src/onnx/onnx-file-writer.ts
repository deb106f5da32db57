import { open, rename, rm } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import type { Dim, TensorSignature } from '../signature';
import type { AttributeValue, GraphSpec } from './graph-builder';
import { byteLength, materialize, type ElementType, type InitializerSpec } from './tensor-spec';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const PRODUCER_NAME = 'switchyard-model-zoo';

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

// Field numbers from onnx.proto: ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.raw_data = 9.
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;

/**
 * Writes a GraphSpec as an ONNX model file and returns its size in bytes.
 *
 * Protocol buffers put a length before every nested message, and repeated fields may appear in any
 * order; so the small parts (model header, nodes, I/O, each initializer's header) are encoded with
 * onnx-proto, while the initializers' raw_data is produced and written one tensor at a time after
 * its length prefix. Memory stays at the size of the largest tensor, whatever the model's size.
 * The file is written under a temporary name and renamed, so a reader never sees half a model.
 */
export async function writeOnnxFile(path: string, graph: GraphSpec, producerVersion: string): Promise<number> {
  const modelHead = onnx.ModelProto.encode({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: PRODUCER_NAME,
    producerVersion,
  }).finish();
  const graphHead = onnx.GraphProto.encode({
    name: graph.name,
    node: graph.nodes.map((node, index) => ({
      name: `${node.opType}_${index}`,
      opType: node.opType,
      input: [...node.inputs],
      output: [...node.outputs],
      attribute: Object.entries(node.attributes).map(([name, value]) => attributeProto(name, value)),
    })),
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
  }).finish();
  const initializers = graph.initializers.map((spec) => {
    const head = onnx.TensorProto.encode({ name: spec.name, dims: [...spec.dims], dataType: DATA_TYPE[spec.type] }).finish();
    const rawLength = byteLength(spec);
    const tensorLength = head.length + fieldPrefix(TENSOR_RAW_DATA_FIELD, rawLength).length + rawLength;
    return { spec, head, rawLength, tensorLength };
  });
  const graphLength =
    graphHead.length + initializers.reduce((sum, { tensorLength }) => sum + fieldPrefix(GRAPH_INITIALIZER_FIELD, tensorLength).length + tensorLength, 0);

  const temporaryPath = `${path}.${process.pid}.tmp`;
  const file = await open(temporaryPath, 'w');
  let written = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await file.write(bytes, offset);
      offset += bytesWritten;
    }
    written += bytes.length;
  };
  try {
    await write(modelHead);
    await write(fieldPrefix(MODEL_GRAPH_FIELD, graphLength));
    await write(graphHead);
    for (const { spec, head, rawLength, tensorLength } of initializers) {
      await write(fieldPrefix(GRAPH_INITIALIZER_FIELD, tensorLength));
      await write(head);
      await write(fieldPrefix(TENSOR_RAW_DATA_FIELD, rawLength));
      await write(littleEndianBytes(spec, graph.seed));
    }
  } catch (error) {
    await file.close();
    await rm(temporaryPath, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporaryPath, path);
  return written;
}

function littleEndianBytes(spec: InitializerSpec, seed: string): Uint8Array {
  const data = materialize(spec, seed);
  // ONNX raw_data is little-endian; so is every platform Node runs on, checked once below.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('model-zoo writes ONNX raw_data in native byte order and needs a little-endian platform');
}

/** Tag and length of a length-delimited protobuf field. */
function fieldPrefix(fieldNumber: number, length: number): Uint8Array {
  return Uint8Array.from([...varint(fieldNumber * 8 + 2), ...varint(length)]);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function valueInfo(signature: TensorSignature): onnx.IValueInfoProto {
  return {
    name: signature.name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[signature.type],
        shape: { dim: signature.dims.map((dim: Dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function attributeProto(name: string, value: AttributeValue): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.string) };
}
