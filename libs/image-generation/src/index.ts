export * from './eight-bit';
export * from './schedulers';
