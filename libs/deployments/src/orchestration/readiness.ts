import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What a deployed worker says of itself on its readiness callback: the seed's phases of `/internal/deployment-ready`. */
export const WORKER_REPORTS = ['downloading_model', 'loading_model', 'ready', 'failed'] as const;
export type WorkerReportStatus = (typeof WORKER_REPORTS)[number];

export interface WorkerReport {
  status: WorkerReportStatus;
  message?: string;
  workerId?: string;
  /** Epoch ms when the gateway received it. */
  at: number;
}

/**
 * The secret a deployment's workers sign their readiness callbacks with (Standard Webhooks), derived
 * from JOB_SECRETS_KEY and the deployment id, so the gateway and the deployer agree on it without
 * storing it, and a worker of one deployment cannot speak for another.
 */
export function readinessSecretFor(jobSecretsKey: Buffer, deploymentId: string): string {
  return `whsec_${createHmac('sha256', jobSecretsKey).update(`switchyard deployment readiness:${deploymentId}`).digest('base64')}`;
}

/** How long a worker's report is kept: past any readiness timeout. */
const REPORT_TTL_S = 24 * 3600;

/**
 * The latest report each deployment's workers sent: the gateway records what its callback
 * receives, the deployer reads it while it waits for the endpoint. One Redis key per deployment.
 */
export class WorkerReports {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async record(deploymentId: string, report: WorkerReport): Promise<void> {
    await this.redis.set(this.key(deploymentId), JSON.stringify(report), 'EX', REPORT_TTL_S);
  }

  async latest(deploymentId: string): Promise<WorkerReport | undefined> {
    const stored = await this.redis.get(this.key(deploymentId));
    return stored ? (JSON.parse(stored) as WorkerReport) : undefined;
  }

  async forget(deploymentId: string): Promise<void> {
    await this.redis.del(this.key(deploymentId));
  }

  private key(deploymentId: string): string {
    return `${this.prefix}:deployments:${deploymentId}:worker-report`;
  }
}
