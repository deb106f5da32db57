export * from './queue-contract';
export * from './echo.contract';
export * from './image-input';
export * from './embedder.contract';
export * from './spai.contract';
export * from './text-detector.contract';
export * from './generator.contract';
export * from './upscaler.contract';
