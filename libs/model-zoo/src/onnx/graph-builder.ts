import { InvalidGraphError } from '../errors';
import type { GraphSignature, TensorSignature } from '../signature';
import type { ElementType, InitializerSpec, TensorInit } from './tensor-spec';

export type AttributeValue = { readonly int: number } | { readonly float: number } | { readonly ints: readonly number[] } | { readonly string: string };

export const attr = {
  int: (value: number): AttributeValue => ({ int: value }),
  float: (value: number): AttributeValue => ({ float: value }),
  ints: (value: readonly number[]): AttributeValue => ({ ints: value }),
  string: (value: string): AttributeValue => ({ string: value }),
};

export interface NodeSpec {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A complete graph whose initializers are still descriptions (see InitializerSpec). */
export interface GraphSpec {
  readonly name: string;
  /** Seeds every random initializer of the graph, together with the initializer's name. */
  readonly seed: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly InitializerSpec[];
}

/**
 * Builds an ONNX graph one operator at a time. Each `op` returns the name of its output, so
 * layers compose as plain function calls; intermediate names are generated.
 */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers = new Map<string, InitializerSpec>();
  private readonly constants = new Map<string, string>();
  private readonly outputs: TensorSignature[] = [];
  private readonly produced = new Set<string>();
  private nextId = 0;

  constructor(
    private readonly name: string,
    private readonly seed: string,
    private readonly signature: GraphSignature,
  ) {
    for (const input of signature.inputs) this.produced.add(input.name);
  }

  /** The name of a declared graph input, checked against the signature. */
  input(name: string): string {
    if (!this.signature.inputs.some((input) => input.name === name)) {
      throw new InvalidGraphError(this.name, `"${name}" is not an input of its signature`);
    }
    return name;
  }

  /** Makes `source` the graph output named `name`, as the signature declares it. */
  output(name: string, source: string): void {
    const declared = this.signature.outputs.find((output) => output.name === name);
    if (!declared) throw new InvalidGraphError(this.name, `"${name}" is not an output of its signature`);
    this.op('Identity', [source], {}, name);
    this.outputs.push(declared);
  }

  /** A trainable-style tensor with generated values; returns its name. */
  weight(name: string, dims: readonly number[], init: TensorInit): string {
    if (this.initializers.has(name)) throw new InvalidGraphError(this.name, `initializer "${name}" is declared twice`);
    this.initializers.set(name, { name, type: 'float32', dims, init });
    this.produced.add(name);
    return name;
  }

  /** A constant tensor (deduplicated by value); a scalar when `dims` is empty. */
  constant(type: ElementType, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${type}|${dims.join('x')}|${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = `const_${this.constants.size}`;
    this.initializers.set(name, { name, type, dims, init: { kind: 'values', values } });
    this.produced.add(name);
    this.constants.set(key, name);
    return name;
  }

  int64s(values: readonly number[]): string {
    return this.constant('int64', values);
  }

  scalar(value: number): string {
    return this.constant('float32', [value], []);
  }

  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, outputName?: string): string {
    return this.opWithOutputs(opType, inputs, 1, attributes, outputName ? [outputName] : undefined)[0];
  }

  opWithOutputs(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Readonly<Record<string, AttributeValue>> = {},
    outputNames?: readonly string[],
  ): string[] {
    for (const input of inputs) {
      // '' is ONNX's marker for an omitted optional input.
      if (input !== '' && !this.produced.has(input)) {
        throw new InvalidGraphError(this.name, `${opType} reads "${input}", which nothing produces`);
      }
    }
    const id = this.nextId++;
    const outputs = outputNames
      ? [...outputNames]
      : Array.from({ length: outputCount }, (_, i) => `${opType.toLowerCase()}_${id}${outputCount > 1 ? `_${i}` : ''}`);
    for (const output of outputs) {
      if (this.produced.has(output)) throw new InvalidGraphError(this.name, `"${output}" is produced twice`);
      this.produced.add(output);
    }
    this.nodes.push({ opType, inputs: [...inputs], outputs, attributes });
    return outputs;
  }

  build(): GraphSpec {
    const missing = this.signature.outputs.filter((declared) => !this.outputs.includes(declared));
    if (missing.length > 0) {
      throw new InvalidGraphError(this.name, `outputs ${missing.map((o) => o.name).join(', ')} are never produced`);
    }
    return {
      name: this.name,
      seed: this.seed,
      inputs: this.signature.inputs,
      outputs: this.signature.outputs,
      nodes: this.nodes,
      initializers: [...this.initializers.values()],
    };
  }
}
