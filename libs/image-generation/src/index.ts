export * from './eight-bit';
export * from './upscaling';
