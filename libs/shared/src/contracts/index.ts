export * from './queue-contract';
export * from './echo.contract';
