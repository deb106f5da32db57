export * from './real-esrgan-upscaler';
export * from './tile-plan';
export * from './upscale-errors';
export { resizeLanczos } from './lanczos-resize';
