export * from './database';
export * from './migrations';
export { Prisma } from './generated/prisma/client';
