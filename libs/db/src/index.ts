export * from './database';
export * from './migrations';
export { Prisma, JobStatus as DbJobStatus, DeliveryStatus } from './generated/prisma/client';
