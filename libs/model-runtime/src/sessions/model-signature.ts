import type { InferenceSession, Tensor } from 'onnxruntime-node';

/** A dimension: a fixed size, or the name of a dynamic one (`batch`, `sequence`). */
export type Dim = number | string;

export interface TensorSignature {
  name: string;
  type: Tensor.Type;
  shape: readonly Dim[];
}

/** The inputs and outputs a caller was written for. */
export interface ModelSignature {
  inputs: readonly TensorSignature[];
  outputs: readonly TensorSignature[];
}

type ValueMetadata = InferenceSession.ValueMetadata;

const formatShape = (shape: readonly Dim[]) => `[${shape.join(', ')}]`;

function compareValues(kind: 'input' | 'output', actual: readonly ValueMetadata[], expected: readonly TensorSignature[]): string[] {
  const problems: string[] = [];
  const actualByName = new Map(actual.map((value) => [value.name, value]));
  for (const want of expected) {
    const have = actualByName.get(want.name);
    if (!have) {
      problems.push(`${kind} "${want.name}" is missing`);
      continue;
    }
    if (!have.isTensor) {
      problems.push(`${kind} "${want.name}" is not a tensor`);
      continue;
    }
    if (have.type !== want.type) problems.push(`${kind} "${want.name}" has type ${have.type}, expected ${want.type}`);
    if (have.shape.length !== want.shape.length) {
      problems.push(
        `${kind} "${want.name}" has rank ${have.shape.length} ${formatShape(have.shape)}, ` + `expected rank ${want.shape.length} ${formatShape(want.shape)}`,
      );
      continue;
    }
    have.shape.forEach((dim, axis) => {
      const wanted = want.shape[axis];
      if (typeof dim === 'number' && typeof wanted === 'number' && dim !== wanted) {
        problems.push(`${kind} "${want.name}" has size ${dim} on axis ${axis}, expected ${wanted}`);
      }
    });
  }
  // An input the caller does not know about could not be fed; an extra output is merely not fetched.
  if (kind === 'input') {
    const expectedNames = new Set(expected.map((value) => value.name));
    for (const value of actual) if (!expectedNames.has(value.name)) problems.push(`unexpected input "${value.name}"`);
  }
  return problems;
}

/**
 * How a model's inputs and outputs differ from the expected signature: names, element types, ranks,
 * and sizes where both sides fix them. Empty when they match.
 */
export function signatureMismatches(
  model: { inputMetadata: readonly ValueMetadata[]; outputMetadata: readonly ValueMetadata[] },
  expected: ModelSignature,
): string[] {
  return [...compareValues('input', model.inputMetadata, expected.inputs), ...compareValues('output', model.outputMetadata, expected.outputs)];
}
