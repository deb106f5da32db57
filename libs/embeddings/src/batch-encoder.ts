import type { InferenceSession } from 'onnxruntime-node';
import type { ModelSession } from '@switchyard/model-runtime';

/** A model graph that embeds a batch of prepared items with one `session.run`. */
export interface BatchEncoder<Item> {
  /** For messages and metrics: `<repo>/<graph file>`. */
  readonly name: string;
  readonly session: ModelSession;
  readonly dimensions: number;
  /** The feeds `embedBatch` runs the session with (exposed to measure the bare model). */
  feeds(items: readonly Item[]): InferenceSession.FeedsType;
  /** One L2-normalized vector per item, in order. */
  embedBatch(items: readonly Item[]): Promise<Float32Array[]>;
}

/** Which weights to load: a Hugging Face repository (or a folder of the model store) at a revision. */
export interface ModelSource {
  readonly repo: string;
  readonly revision?: string;
}
