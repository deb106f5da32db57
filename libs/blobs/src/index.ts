export * from './blob-config';
export * from './blob-store';
export * from './claim-check';
export * from './local-blob-store';
export * from './s3-blob-store';
export * from './caller-bucket';
