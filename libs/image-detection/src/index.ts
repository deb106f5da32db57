export * from './chw-image';
export * from './padding';
export * from './patches';
export * from './spai-inputs';
export * from './spectral-filter';
export * from './spai-detector';
export * from './errors';
export * from './decode';
