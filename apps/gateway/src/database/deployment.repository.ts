import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@switchyard/db';
import type { DeploymentFacts, DeploymentStatus } from '@switchyard/shared';
import { DATABASE } from '../infra/tokens';
import { DeploymentChanges } from './deployment-changes';

type DeploymentRow = NonNullable<Awaited<ReturnType<Database['prisma']['deployment']['findUnique']>>>;
export type StoredDeployment = DeploymentRow;

export interface NewDeployment {
  id: string;
  projectId: string;
  apiKeyId?: string;
  modelId: string;
  task: string;
  endpoint: string;
  gpuTier?: string;
  region?: string;
  cacheScope: string;
  webhookUrl?: string;
  jobId: string;
  /** Sealed with the master key (libs/secrets), never in the clear. */
  runpodApiKey: string;
  hfToken?: string;
  cacheSecrets?: string;
  modelVramGb: number;
  vramSource: string;
  maxWorkers: number;
}

/** The context the master key seals a deployment's stored secret under, so a sealed value copied to another row or column does not open. */
export function deploymentSecretContext(deploymentId: string, secret: 'runpod_api_key' | 'hf_token' | 'cache'): string {
  return `deployment:${deploymentId}:${secret}`;
}

/** Statuses after which a deploy job's late events change nothing: the deployment is being, or has been, deleted. */
const REMOVED: readonly DeploymentStatus[] = ['deleting', 'deleted'];

/**
 * Deployments to RunPod (`/v1/deployments`), per project; the recorder keeps them up to date from
 * the deployer's events. A write that may make a deployment ready or take it out of `ready` is announced to the routers.
 */
@Injectable()
export class DeploymentRepository {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    private readonly changes: DeploymentChanges,
  ) {}

  async create(deployment: NewDeployment): Promise<StoredDeployment> {
    return this.database.prisma.deployment.create({ data: { ...deployment, status: 'validating' } });
  }

  /** The project's deployment; another project's is as unknown as a missing one. */
  async find(projectId: string, id: string): Promise<StoredDeployment | undefined> {
    const row = await this.database.prisma.deployment.findUnique({ where: { id } });
    return row && row.projectId === projectId ? row : undefined;
  }

  async findByJob(jobId: string): Promise<StoredDeployment | undefined> {
    const row = await this.database.prisma.deployment.findFirst({ where: { OR: [{ jobId }, { deleteJobId: jobId }] } });
    return row ?? undefined;
  }

  async list(projectId: string, limit: number): Promise<StoredDeployment[]> {
    return this.database.prisma.deployment.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' }, take: limit });
  }

  /** Ready deployments of every project: the router's remote backends. */
  async ready(): Promise<StoredDeployment[]> {
    return this.database.prisma.deployment.findMany({ where: { status: 'ready' } });
  }

  /** A deploy job's progress: its status, phases and what it learnt; ignored once the deployment is being deleted. */
  async recordProgress(jobId: string, status: DeploymentStatus, phaseDurations: Record<string, number>, facts: DeploymentFacts): Promise<void> {
    const row = await this.findByJob(jobId);
    if (!row) return;
    const removing = REMOVED.includes(row.status as DeploymentStatus);
    const isDeleteJob = row.deleteJobId === jobId;
    if (removing && !isDeleteJob) return;
    await this.database.prisma.deployment.update({
      where: { id: row.id },
      data: {
        status,
        phaseDurations: { ...(row.phaseDurations as Record<string, number>), ...phaseDurations },
        ...(facts.model_vram_gb !== undefined ? { modelVramGb: facts.model_vram_gb } : {}),
        ...(facts.vram_source !== undefined ? { vramSource: facts.vram_source } : {}),
        ...(facts.gpu_allocated !== undefined ? { gpuAllocated: facts.gpu_allocated } : {}),
        ...(facts.gpu_pool !== undefined ? { gpuPool: facts.gpu_pool } : {}),
        ...(facts.price_per_hour_usd !== undefined ? { pricePerHourUsd: facts.price_per_hour_usd } : {}),
        ...(facts.max_workers !== undefined ? { maxWorkers: facts.max_workers } : {}),
        ...(facts.runpod_endpoint_id !== undefined ? { runpodEndpointId: facts.runpod_endpoint_id } : {}),
        ...(facts.runpod_template_id !== undefined ? { runpodTemplateId: facts.runpod_template_id } : {}),
        ...(facts.endpoint_url !== undefined ? { endpointUrl: facts.endpoint_url } : {}),
        ...(status === 'ready' ? { readyAt: new Date() } : {}),
        ...(status === 'deleted' ? { deletedAt: new Date() } : {}),
      },
    });
    if ((status === 'ready') !== (row.status === 'ready')) await this.changes.announce();
  }

  /** The deploy job failed (or was cancelled): the deployment failed with why, unless it is being deleted. */
  async recordFailure(jobId: string, error: string): Promise<void> {
    await this.database.prisma.deployment.updateMany({
      where: { jobId, status: { notIn: [...REMOVED, 'ready', 'webhook_failed'] } },
      data: { status: 'failed', error },
    });
  }

  /** A delete starts: the deployment leaves the router at once, and its deploy job's late events are ignored. */
  async markDeleting(id: string, deleteJobId: string): Promise<void> {
    await this.database.prisma.deployment.update({ where: { id }, data: { status: 'deleting', deleteJobId } });
    await this.changes.announce();
  }

  /** The delete job could not be queued: the deployment is as it was. */
  async undoDeleting(id: string, status: string): Promise<void> {
    await this.database.prisma.deployment.update({ where: { id }, data: { status, deleteJobId: null } });
    await this.changes.announce();
  }

  /** The user's webhook failed for good (the seed's `webhook_failed`); a deployment deleted since stays deleted. */
  async markWebhookFailed(jobId: string): Promise<void> {
    const { count } = await this.database.prisma.deployment.updateMany({
      where: { jobId, status: { in: ['ready', 'failed'] } },
      data: { status: 'webhook_failed' },
    });
    if (count > 0) await this.changes.announce();
  }

  async projectRunPodKey(projectId: string): Promise<string | undefined> {
    const project = await this.database.prisma.project.findUnique({ where: { id: projectId }, select: { runpodApiKey: true } });
    return project?.runpodApiKey ?? undefined;
  }

  /** Sets (or, with null, removes) the project's default RunPod key, already sealed. */
  async setProjectRunPodKey(projectId: string, sealed: string | null): Promise<void> {
    await this.database.prisma.project.update({ where: { id: projectId }, data: { runpodApiKey: sealed } });
  }
}
