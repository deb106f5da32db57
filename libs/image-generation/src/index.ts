export * from './eight-bit';
