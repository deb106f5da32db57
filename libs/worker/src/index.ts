export * from './bootstrap-worker';
export * from './bullmq-job-server';
export * from './echo.controller';
export * from './job-context';
export * from './job-error-passthrough.filter';
export * from './job-errors';
export * from './job-runner';
export * from './worker-config';
