import type { GraphSpec } from '../onnx/graph-builder';
import type { Tier } from './architectures';

/** A small text file of a model repository (config, tokenizer). */
export interface TextFile {
  readonly path: string;
  readonly content: string;
}

export interface GraphFile {
  readonly path: string;
  readonly graph: GraphSpec;
}

/** Everything one model repository holds for one tier, before anything is written. */
export interface ModelArtifacts {
  readonly graphs: readonly GraphFile[];
  readonly files: readonly TextFile[];
}

export type ModelBuilder = (tier: Tier) => ModelArtifacts;

export function jsonFile(path: string, value: unknown): TextFile {
  return { path, content: `${JSON.stringify(value, null, 2)}\n` };
}
