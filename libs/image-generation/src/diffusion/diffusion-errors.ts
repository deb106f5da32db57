import { SwitchyardError } from '@switchyard/shared';

/** A pipeline's files describe something this code cannot run; names the repository, and the file and tensor where one is at fault. */
export class DiffusionModelError extends SwitchyardError {
  constructor(
    readonly repo: string,
    readonly file: string | undefined,
    readonly detail: string,
    readonly tensor?: string,
  ) {
    const where = [file && `"${file}"`, tensor && `tensor "${tensor}"`].filter(Boolean).join(', ');
    super(`Diffusion pipeline "${repo}" cannot be served${where ? ` (${where})` : ''}: ${detail}`, { code: 'diffusion_model' });
  }
}

/** A generation request the pipeline refuses (a size not a multiple of its VAE's scale factor, no steps, a bad seed). */
export class GenerationRequestError extends SwitchyardError {
  constructor(
    readonly repo: string,
    detail: string,
  ) {
    super(`Cannot generate with "${repo}": ${detail}`, { code: 'invalid_generation_request' });
  }
}
