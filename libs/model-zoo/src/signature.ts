import type { ElementType } from './onnx/tensor-spec';

/** A dimension: a fixed size, or the name of a dynamic axis (e.g. `batch_size`). */
export type Dim = number | string;

export interface TensorSignature {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly Dim[];
}

/** One ONNX file of a model repository and the tensors it takes and gives. */
export interface GraphSignature {
  /** Path inside the repository, e.g. `onnx/model.onnx`. */
  readonly file: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
}
