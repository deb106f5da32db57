export * from './clip-prompt-encoder';
export * from './clip-tokenizer';
export * from './diffusion-errors';
export * from './diffusion-pipeline';
export { toHalfBits, fromHalfBits } from './tensor-values';
