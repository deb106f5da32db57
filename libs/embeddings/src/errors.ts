/** The model's files do not describe a model this pipeline can run; raised at start-up. */
export class EmbeddingModelError extends Error {
  override readonly name = 'EmbeddingModelError';

  constructor(
    readonly model: string,
    detail: string,
  ) {
    super(`Model "${model}" cannot be served: ${detail}`);
  }
}
