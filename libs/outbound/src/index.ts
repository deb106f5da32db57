export * from './address-policy';
export * from './address-ranges';
export * from './destination';
export * from './errors';
export type { IncomingHeaders } from './headers';
export * from './safe-request';
export * from './webhook-delivery';
export * from './webhook-retry-schedule';
export * from './webhook-signature';
