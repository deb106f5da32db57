export * from './queue-contract';
export * from './echo.contract';
export * from './embedder.contract';
