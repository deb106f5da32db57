export const DEPLOYER_CONFIG = Symbol('DEPLOYER_CONFIG');
/** A Redis connection for the deployed workers' readiness reports. */
export const WORKER_REPORTS_REDIS = Symbol('WORKER_REPORTS_REDIS');
