import { InvalidGraphError } from '../errors';
import type { GraphSpec } from './graph-builder';
import { materialize } from './tensor-spec';

/**
 * The values a graph's float initializer holds once written: what an independent implementation
 * of the model needs to reproduce its outputs.
 */
export function readWeight(graph: GraphSpec, name: string): Float32Array {
  const spec = graph.initializers.find((candidate) => candidate.name === name);
  if (!spec || spec.type !== 'float32') throw new InvalidGraphError(graph.name, `it has no float initializer "${name}"`);
  return materialize(spec, graph.seed) as Float32Array;
}
