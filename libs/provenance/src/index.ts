export * from './types';
export * from './errors';
export { readProvenance } from './read-provenance';
