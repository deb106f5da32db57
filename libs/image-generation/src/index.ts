export * from './eight-bit';
export * from './diffusion';
export * from './schedulers';
export * from './upscaling';
export * from './work-progress';
export * from './generator-service';
export * from './upscaler-service';
export * from './image-generation-services';
