/**
 * Long texts as a sequence classifier reads them: the text's tokens (without special tokens) cut
 * into overlapping windows that each fit the model's maximum length once the special tokens are
 * put around them. Plain functions on token ids, shared by the worker and the browser client, so
 * both cut a text the same way.
 */

/** The special tokens a tokenizer's post-processor puts around one text: `<s>` … `</s>` for RoBERTa, `[CLS]` … `[SEP]` for BERT. */
export interface SpecialTokens {
  readonly leading: readonly number[];
  readonly trailing: readonly number[];
}

export interface WindowPlan {
  /** Longest window, special tokens included (the model's maximum length, 512 for RoBERTa). */
  readonly maxLength: number;
  /** Tokens each window shares with the one before it. */
  readonly overlap: number;
}

/** One window: the ids the model reads, and how many of them are the text's. */
export interface TokenWindow {
  readonly ids: number[];
  /** Index of the window's first text token among the text's tokens. */
  readonly start: number;
  readonly textTokens: number;
}

/** The default overlap: a quarter of RoBERTa's 510 text tokens per window. */
export const DEFAULT_WINDOW_OVERLAP = 128;

/**
 * Finds the special tokens around a text by encoding one with and without them: the ids before
 * the bare encoding are leading, those after it trailing.
 */
export function specialTokensOf(withSpecials: readonly number[], bare: readonly number[]): SpecialTokens {
  const start = withSpecials.findIndex((_, at) => bare.every((id, offset) => withSpecials[at + offset] === id));
  if (start < 0 || bare.length === 0) throw new RangeError('the encoding with special tokens does not hold the bare encoding');
  return { leading: withSpecials.slice(0, start), trailing: withSpecials.slice(start + bare.length) };
}

/** Text tokens that fit in one window. */
export function windowCapacity(plan: WindowPlan, specials: SpecialTokens): number {
  return plan.maxLength - specials.leading.length - specials.trailing.length;
}

/**
 * Cuts the text's tokens into windows of at most the window capacity, each starting `capacity −
 * overlap` tokens after the one before; the last window ends at the text's end. A text that fits
 * is one window, and a text without tokens is one window of special tokens only.
 * @throws RangeError when the plan leaves no room for text or the overlap is not below the capacity.
 */
export function tokenWindows(textIds: readonly number[], specials: SpecialTokens, plan: WindowPlan): TokenWindow[] {
  const capacity = windowCapacity(plan, specials);
  if (capacity < 1) throw new RangeError(`a maximum length of ${plan.maxLength} leaves no room for text between the special tokens`);
  if (!Number.isInteger(plan.overlap) || plan.overlap < 0 || plan.overlap >= capacity) {
    throw new RangeError(`the overlap (${plan.overlap}) must be a whole number from 0 to below the window's ${capacity} text tokens`);
  }
  const step = capacity - plan.overlap;
  const windows: TokenWindow[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + capacity, textIds.length);
    windows.push({ ids: [...specials.leading, ...textIds.slice(start, end), ...specials.trailing], start, textTokens: end - start });
    if (end >= textIds.length) return windows;
  }
}
