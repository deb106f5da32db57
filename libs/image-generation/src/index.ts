export * from './eight-bit';
export * from './diffusion';
