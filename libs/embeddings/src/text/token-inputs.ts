import type { ModelSession } from '@switchyard/model-runtime';
import { EmbeddingModelError } from '../errors';
import { TOKEN_INPUT_NAMES, type TokenInputName } from './token-batch';

/**
 * The token inputs the session takes, in its order. Exports differ (CLIP's text tower may or may
 * not take an attention mask, BERT exports may drop token types); `required` must be there.
 */
export function tokenInputsOf(session: ModelSession, required: readonly TokenInputName[]): TokenInputName[] {
  const names = session.inputs.map((input) => input.name);
  const missing = required.filter((name) => !names.includes(name));
  if (missing.length > 0) throw new EmbeddingModelError(session.name, `it has no input ${missing.join(', ')}`);
  return TOKEN_INPUT_NAMES.filter((name) => names.includes(name));
}
