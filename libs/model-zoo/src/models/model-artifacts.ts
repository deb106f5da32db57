import type { GraphSpec } from '../onnx/graph-builder';
import type { Tier } from './architectures';

/** A small text file of a model repository (config, tokenizer). */
export interface TextFile {
  readonly path: string;
  readonly content: string;
}

/** A binary file of a model repository that is not a graph (a safetensors head). */
export interface BinaryFile {
  readonly path: string;
  readonly content: Uint8Array;
}

export interface GraphFile {
  readonly path: string;
  readonly graph: GraphSpec;
}

/** Everything one model repository holds for one tier, before anything is written. */
export interface ModelArtifacts {
  readonly graphs: readonly GraphFile[];
  readonly files: readonly (TextFile | BinaryFile)[];
}

export type ModelBuilder = (tier: Tier) => ModelArtifacts;

export function jsonFile(path: string, value: unknown): TextFile {
  return { path, content: `${JSON.stringify(value, null, 2)}\n` };
}
