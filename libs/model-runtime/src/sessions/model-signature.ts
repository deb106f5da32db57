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

/** How one value differs from what is wanted (element type, rank, fixed sizes); `label` names it in the messages. */
function compareValue(label: string, have: ValueMetadata, want: Omit<TensorSignature, 'name'>): string[] {
  if (!have.isTensor) return [`${label} is not a tensor`];
  const problems: string[] = [];
  if (have.type !== want.type) problems.push(`${label} has type ${have.type}, expected ${want.type}`);
  if (have.shape.length !== want.shape.length) {
    problems.push(`${label} has rank ${have.shape.length} ${formatShape(have.shape)}, ` + `expected rank ${want.shape.length} ${formatShape(want.shape)}`);
    return problems;
  }
  have.shape.forEach((dim, axis) => {
    const wanted = want.shape[axis];
    if (typeof dim === 'number' && typeof wanted === 'number' && dim !== wanted) {
      problems.push(`${label} has size ${dim} on axis ${axis}, expected ${wanted}`);
    }
  });
  return problems;
}

function compareValues(kind: 'input' | 'output', actual: readonly ValueMetadata[], expected: readonly TensorSignature[]): string[] {
  const problems: string[] = [];
  const actualByName = new Map(actual.map((value) => [value.name, value]));
  for (const want of expected) {
    const have = actualByName.get(want.name);
    if (have) problems.push(...compareValue(`${kind} "${want.name}"`, have, want));
    else problems.push(`${kind} "${want.name}" is missing`);
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

/** A tensor matched by its position, for graphs whose exporter does not pin tensor names. */
export type PositionalTensorSignature = Omit<TensorSignature, 'name'>;

/** The inputs and outputs a caller was written for, in order, whatever their names. */
export interface PositionalSignature {
  inputs: readonly PositionalTensorSignature[];
  outputs: readonly PositionalTensorSignature[];
}

function comparePositions(kind: 'input' | 'output', actual: readonly ValueMetadata[], expected: readonly PositionalTensorSignature[]): string[] {
  // Every input must be fed; outputs past the expected ones are merely not fetched.
  const countProblem = kind === 'input' ? actual.length !== expected.length : actual.length < expected.length;
  if (countProblem) return [`the graph has ${actual.length} ${kind}s (${describeValues(actual)}), expected ${expected.length}`];
  return expected.flatMap((want, index) => compareValue(`${kind} ${index} ("${actual[index].name}")`, actual[index], want));
}

/** `name type [dims]` for each value, for messages that say what a graph has. */
export function describeValues(values: readonly ValueMetadata[]): string {
  return values.map((value) => (value.isTensor ? `"${value.name}" ${value.type} ${formatShape(value.shape)}` : `"${value.name}" (not a tensor)`)).join(', ');
}

/**
 * {@link signatureMismatches} by position instead of by name: the i-th input and output of the
 * model against the i-th expected one (element type, rank, fixed sizes), and the number of inputs.
 * Empty when they match.
 */
export function positionalSignatureMismatches(
  model: { inputMetadata: readonly ValueMetadata[]; outputMetadata: readonly ValueMetadata[] },
  expected: PositionalSignature,
): string[] {
  return [...comparePositions('input', model.inputMetadata, expected.inputs), ...comparePositions('output', model.outputMetadata, expected.outputs)];
}
