export * from './fake-hugging-face-hub';
export * from './s3-server';
export * from './seeded-random';
export * from './job-fixtures';
export * from './fake-runpod';
export * from './fake-serverless-queue';
export * from './fake-runpod-catalog';
export * from './fake-runpod-cloud';
export { OpenApiSchemaValidator } from './openapi-schema-validator';
