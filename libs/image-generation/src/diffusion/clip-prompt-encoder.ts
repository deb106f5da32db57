import type { ModelSession } from '@switchyard/model-runtime';
import type { ClipTokenizer } from './clip-tokenizer';
import { DiffusionModelError } from './diffusion-errors';
import { assertIdInput, floatValues, idTensor, tensorMetadata, type TensorMetadata, type TensorPlace } from './tensor-values';

/** One prompt through one text encoder. */
export interface EncodedText {
  /** [length, width] per-token states. */
  readonly states: Float32Array;
  /** The pooled (projected) embedding, where the encoder is asked for one. */
  readonly pooled: Float32Array | undefined;
  readonly truncated: boolean;
}

export interface TextStateChoice {
  /** The output holding the per-token states the UNet attends to. */
  readonly states: string;
  /** The pooled output the UNet also takes (SDXL's `text_embeds`), if any. */
  readonly pooled?: string;
}

const HIDDEN_STATE = /^hidden_states\.(\d+)$/;

/**
 * The penultimate of Hugging Face's hidden states (`hidden_states.<layers − 1>`, before the final
 * layer norm), which SDXL conditions on; `layers` from the encoder's config must match the outputs.
 */
export function penultimateHiddenState(place: TensorPlace, session: ModelSession, layers: number): string {
  const indices = session.outputs.flatMap((output) => {
    const match = HIDDEN_STATE.exec(output.name);
    return match ? [Number(match[1])] : [];
  });
  if (indices.length === 0) throw new DiffusionModelError(place.repo, place.file, 'has no hidden_states.<i> outputs: export it with output_hidden_states');
  const last = Math.max(...indices);
  if (last !== layers) throw new DiffusionModelError(place.repo, place.file, `has hidden states up to ${last}, but its config says ${layers} layers`);
  return `hidden_states.${layers - 1}`;
}

/** A CLIP text encoder session with its tokenizer, fed one prompt at a time (exports often fix the batch at 1). */
export class ClipPromptEncoder {
  private readonly idsInput: TensorMetadata;

  constructor(
    private readonly place: TensorPlace,
    readonly session: ModelSession,
    readonly tokenizer: ClipTokenizer,
    readonly width: number,
    readonly choice: TextStateChoice,
  ) {
    const inputs = session.inputs.map((input) => input.name);
    if (inputs.length !== 1) throw new DiffusionModelError(place.repo, place.file, `takes ${inputs.join(', ')}; only input_ids can be fed`);
    this.idsInput = tensorMetadata(place, session.inputs, 'input_ids', 'input');
    assertIdInput(place, this.idsInput);
    for (const name of [choice.states, choice.pooled]) if (name) tensorMetadata(place, session.outputs, name, 'output');
  }

  async encode(text: string, cutOff: AbortSignal | undefined): Promise<EncodedText> {
    const { ids, truncated } = this.tokenizer.encode(text);
    const outputs = await this.session.run({ input_ids: idTensor(this.idsInput, ids, [1, ids.length]) }, undefined, { cutOff });
    const states = floatValues(this.place, outputs[this.choice.states], this.choice.states);
    if (states.length !== ids.length * this.width) {
      throw new DiffusionModelError(this.place.repo, this.place.file, `gave ${states.length} values, expected ${ids.length}×${this.width}`, this.choice.states);
    }
    const pooled = this.choice.pooled ? floatValues(this.place, outputs[this.choice.pooled], this.choice.pooled) : undefined;
    return { states, pooled, truncated };
  }
}

/** Per-token states of several encoders side by side ([length, Σ widths]), as SDXL concatenates them. */
export function concatenateStates(parts: readonly { readonly states: Float32Array; readonly width: number }[], length: number): Float32Array {
  const total = parts.reduce((sum, part) => sum + part.width, 0);
  const joined = new Float32Array(length * total);
  for (let token = 0; token < length; token++) {
    let offset = token * total;
    for (const { states, width } of parts) {
      joined.set(states.subarray(token * width, (token + 1) * width), offset);
      offset += width;
    }
  }
  return joined;
}
