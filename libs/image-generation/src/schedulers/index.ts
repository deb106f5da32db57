export * from './create-scheduler';
export * from './denoising-scheduler';
export * from './noise-source';
export * from './seeded-noise';
export * from './unsupported-scheduler-error';
