export * from './eight-bit';
export * from './diffusion';
export * from './schedulers';
