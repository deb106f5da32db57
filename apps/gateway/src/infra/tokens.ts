/** Injection tokens for values that are not classes of ours. */
export const CONFIG = Symbol('GatewayConfig');
export const REDIS = Symbol('Redis');
export const DATABASE = Symbol('Database');
export const LOGGER = Symbol('Logger');
