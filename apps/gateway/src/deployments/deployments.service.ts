import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  estimatedCost,
  GpuCatalogs,
  gpuCandidates,
  MissingRunPodKeyError,
  modelIdOfName,
  planDeployment,
  readinessSecretFor,
  WorkerReports,
  type DeploymentPlan,
  type WorkerReport,
} from '@switchyard/deployments';
import { AddressPolicy, checkUrl, UnsafeUrlError, verifyWebhook, type IncomingHeaders } from '@switchyard/outbound';
import { RunPodRestClient } from '@switchyard/runpod';
import { SecretKeyring } from '@switchyard/secrets';
import { QUEUES, sealSecret, type DeployerInput, type DeploymentModelCache } from '@switchyard/shared';
import type { Principal } from '../auth/principal';
import type { GatewayConfig } from '../config';
import { deploymentSecretContext, DeploymentRepository, type StoredDeployment } from '../database/deployment.repository';
import { ApiError, ConflictError, NotFoundError, ServiceUnavailableError, UnauthorizedError, ValidationError } from '../http/api-errors';
import { parseOrThrow } from '../http/zod-validation';
import { CONFIG, REDIS } from '../infra/tokens';
import { createJobId } from '../jobs/job-id';
import { JobsService } from '../jobs/jobs.service';
import { asDeploymentApiError } from './deployment-errors';
import { deploymentRequestSchema, SEED_TASKS, workerReportSchema, type DeploymentRequest } from './deployment-request';

/** A deploy job runs past RunPod's readiness wait (15 minutes by default) and the endpoint's creation. */
const DEPLOY_JOB_POLICY = { executionTimeout: 60 * 60_000, ttl: 7 * 24 * 3600_000 };
const DELETE_JOB_POLICY = { executionTimeout: 10 * 60_000, ttl: 7 * 24 * 3600_000 };

function newDeploymentId(now = new Date()): string {
  return `dep_${now.getUTCFullYear()}_${randomBytes(4).toString('hex')}`;
}

const projectKeyContext = (projectId: string) => `project:${projectId}:runpod_api_key`;

/**
 * `/v1/deployments`: checks a deployment before it is accepted (the model on the Hub, its VRAM,
 * the GPUs that fit, the RunPod key), records it, and queues its deploy job on the `deployer`
 * queue; reads, deletes, costs and readiness callbacks. Secrets are sealed with the master key in
 * Postgres and with JOB_SECRETS_KEY (bound to the deployment) on the job, never in the clear.
 */
@Injectable()
export class DeploymentsService {
  private readonly catalogs: GpuCatalogs;
  private readonly reports: WorkerReports;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(REDIS) redis: Redis,
    private readonly deployments: DeploymentRepository,
    private readonly jobs: JobsService,
    private readonly keyring: SecretKeyring,
  ) {
    this.catalogs = new GpuCatalogs(config.DEPLOYER_CATALOG_TTL_MS);
    this.reports = new WorkerReports(redis, config.REDIS_PREFIX);
  }

  async create(body: unknown, principal: Principal, headerKey: string | undefined): Promise<Record<string, unknown>> {
    const request = parseOrThrow(deploymentRequestSchema, body, '');
    const jobSecretsKey = this.jobSecretsKey();
    if (request.user_webhook_url) await this.jobs.checkWebhook(request.user_webhook_url, 'user_webhook_url');
    const runpodApiKey = request.user_runpod_key ?? headerKey ?? (await this.projectRunPodKey(principal.projectId));
    if (!runpodApiKey) throw asDeploymentApiError(new MissingRunPodKeyError());
    const modelId = request.hf_model_id ?? modelIdOf(request.model_name!, request.provider);
    const plan = await this.plan(request, modelId, runpodApiKey);
    const cache = this.modelCache(request, plan, principal.projectId);

    const id = newDeploymentId();
    const createdAt = new Date();
    const seal = (value: string) => sealSecret(jobSecretsKey, value, id);
    const input: DeployerInput = {
      operation: 'deploy',
      deployment_id: id,
      model_id: plan.model.modelId,
      endpoint: plan.target.endpoint,
      worker_app: plan.target.workerApp,
      task: plan.model.task,
      gpu_tier: request.gpu_tier,
      region: request.region,
      cache: cache.travelling(seal),
      sealed_runpod_api_key: seal(runpodApiKey),
      sealed_hf_token: request.hf_token && seal(request.hf_token),
      created_at: createdAt.toISOString(),
    };
    // Recorded before its deploy job is queued, so the job's first events find the deployment.
    const jobId = createJobId();
    const stored = (secret: Parameters<typeof deploymentSecretContext>[1], value: string) => this.keyring.seal(value, deploymentSecretContext(id, secret));
    await this.deployments.create({
      id,
      projectId: principal.projectId,
      apiKeyId: principal.apiKeyId,
      modelId: plan.model.modelId,
      task: plan.model.task,
      endpoint: plan.target.endpoint,
      gpuTier: request.gpu_tier,
      region: request.region,
      cacheScope: request.cache_scope,
      webhookUrl: request.user_webhook_url,
      jobId,
      runpodApiKey: stored('runpod_api_key', runpodApiKey),
      hfToken: request.hf_token && stored('hf_token', request.hf_token),
      cacheSecrets: cache.secrets && stored('cache', JSON.stringify(cache.secrets)),
      modelVramGb: plan.vram.gb,
      vramSource: plan.vram.source,
      maxWorkers: 0,
    });
    try {
      await this.jobs.submit(QUEUES.deployer, { input, webhook: request.user_webhook_url, policy: DEPLOY_JOB_POLICY }, principal, 'run', { id: jobId });
    } catch (error) {
      await this.deployments.recordFailure(jobId, `The deployment could not be queued: ${(error as Error).message}`);
      throw error;
    }
    return {
      deployment_id: id,
      status: 'validating',
      model_id: plan.model.modelId,
      endpoint: plan.target.endpoint,
      model_vram_gb: plan.vram.gb,
      estimated_ready_seconds: 180,
      estimated_ready_at: new Date(createdAt.getTime() + 180_000).toISOString(),
      poll_interval_seconds: 5,
      stream_url: `/v1/deployments/${id}/stream`,
      webhook_url: request.user_webhook_url ?? null,
      endpoint_url: null,
      path: 'cold',
      created_at: createdAt.toISOString(),
    };
  }

  async get(id: string, principal: Principal): Promise<Record<string, unknown>> {
    return describe(await this.find(id, principal));
  }

  async list(principal: Principal, limit: number): Promise<{ deployments: Record<string, unknown>[] }> {
    return { deployments: (await this.deployments.list(principal.projectId, limit)).map(describe) };
  }

  /** Stops billing: cancels a deploy still running and queues the delete job, which scales the endpoint to zero and deletes it. Idempotent. */
  async delete(id: string, principal: Principal): Promise<void> {
    const deployment = await this.find(id, principal);
    if (deployment.status === 'deleted') throw new NotFoundError(`Deployment "${id}" (deleted at ${deployment.deletedAt?.toISOString()})`, 'deployment_id');
    if (deployment.status === 'deleting') return;
    await this.jobs.cancel(QUEUES.deployer, deployment.jobId, principal).catch((error: unknown) => {
      if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
    });
    const runpodApiKey = this.keyring.open(deployment.runpodApiKey, deploymentSecretContext(id, 'runpod_api_key'));
    const input: DeployerInput = {
      operation: 'delete',
      deployment_id: id,
      sealed_runpod_api_key: sealSecret(this.jobSecretsKey(), runpodApiKey, id),
      runpod_endpoint_id: deployment.runpodEndpointId ?? undefined,
      runpod_template_id: deployment.runpodTemplateId ?? undefined,
    };
    const deleteJobId = createJobId();
    await this.deployments.markDeleting(id, deleteJobId);
    try {
      await this.jobs.submit(QUEUES.deployer, { input, policy: DELETE_JOB_POLICY }, principal, 'run', { id: deleteJobId });
    } catch (error) {
      // Not deleting after all: a later DELETE tries again.
      await this.deployments.undoDeleting(id, deployment.status);
      throw error;
    }
  }

  async cost(id: string, principal: Principal): Promise<Record<string, unknown>> {
    const deployment = await this.find(id, principal);
    const price = deployment.pricePerHourUsd;
    const since = deployment.readyAt ?? deployment.createdAt;
    const until = deployment.deletedAt ?? new Date();
    return {
      deployment_id: id,
      status: deployment.status,
      gpu_allocated: deployment.gpuAllocated,
      price_per_hour_usd: price,
      max_workers: deployment.maxWorkers,
      ...(price === null ? {} : estimatedCost({ pricePerHourUsd: price, maxWorkers: deployment.maxWorkers ?? 1, since, until })),
    };
  }

  /** GPU pools with their prices, for a VRAM need and a tier; RunPod's live catalogue with the caller's key when there is one. */
  async gpus(principal: Principal, headerKey: string | undefined, minVramGb: number, tier: string | undefined) {
    const runpodApiKey = headerKey ?? (await this.projectRunPodKey(principal.projectId));
    const catalog = runpodApiKey ? await this.catalog(runpodApiKey) : { source: 'registry' as const };
    try {
      return { source: catalog.source, candidates: gpuCandidates({ catalog: catalog.gpus, minVramGb, tier }) };
    } catch (error) {
      throw asDeploymentApiError(error);
    }
  }

  /** A deployed worker's readiness callback, signed (Standard Webhooks) with its deployment's readiness secret. */
  async workerReport(id: string, headers: IncomingHeaders, body: string): Promise<void> {
    const key = this.jobSecretsKey();
    try {
      verifyWebhook({ headers, body, secrets: readinessSecretFor(key, id) });
    } catch {
      throw new UnauthorizedError('The readiness callback is not signed with this deployment’s secret');
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new ValidationError('body', 'is not JSON');
    }
    const report = parseOrThrow(workerReportSchema, json, '');
    const entry: WorkerReport = { status: report.status, message: report.message, workerId: report.worker_id, at: Date.now() };
    await this.reports.record(id, entry);
  }

  /** The project's default RunPod key, set once and sealed; never answered. */
  async setProjectRunPodKey(principal: Principal, body: unknown): Promise<void> {
    const { runpod_api_key } = parseOrThrow(projectKeySchema, body, '');
    await this.deployments.setProjectRunPodKey(
      principal.projectId,
      runpod_api_key && this.keyring.seal(runpod_api_key, projectKeyContext(principal.projectId)),
    );
  }

  private async projectRunPodKey(projectId: string): Promise<string | undefined> {
    const sealed = await this.deployments.projectRunPodKey(projectId);
    return sealed ? this.keyring.open(sealed, projectKeyContext(projectId)) : undefined;
  }

  private async find(id: string, principal: Principal): Promise<StoredDeployment> {
    const deployment = await this.deployments.find(principal.projectId, id);
    if (!deployment) throw new ApiError(404, 'DEPLOYMENT_NOT_FOUND', `Deployment not found: ${id}`, 'deployment_id');
    return deployment;
  }

  private async plan(request: DeploymentRequest, modelId: string, runpodApiKey: string): Promise<DeploymentPlan> {
    try {
      return await planDeployment(
        { modelId, hfToken: request.hf_token, task: request.task && (SEED_TASKS[request.task] ?? request.task), gpuTier: request.gpu_tier },
        { hubUrl: this.config.HF_ENDPOINT, catalog: () => this.catalog(runpodApiKey) },
      );
    } catch (error) {
      throw asDeploymentApiError(error);
    }
  }

  private catalog(runpodApiKey: string) {
    const client = new RunPodRestClient({
      apiKey: runpodApiKey,
      baseUrl: this.config.RUNPOD_REST_URL,
      addressPolicy: new AddressPolicy({ allowPrivate: this.config.RUNPOD_ALLOW_PRIVATE }),
    });
    return this.catalogs.snapshot(runpodApiKey, () => client.listGpuTypes({ availability: true }));
  }

  /** The model cache a deployment's workers use: off, the platform's (allow-listed models only) or the caller's bucket under a per-project prefix. */
  private modelCache(request: DeploymentRequest, plan: DeploymentPlan, projectId: string) {
    if (request.cache_scope === 'off') return { travelling: (): DeploymentModelCache => ({ scope: 'off' }), secrets: undefined };
    if (request.cache_scope === 'shared') {
      const bucket = this.config.DEPLOYER_SHARED_CACHE_BUCKET;
      if (!bucket) throw new ValidationError('cache_scope', 'this platform has no shared model cache (DEPLOYER_SHARED_CACHE_BUCKET)');
      if (!this.config.DEPLOYER_SHARED_CACHE_MODELS.includes(plan.model.modelId)) {
        throw new ValidationError('cache_scope', `"shared" is only for the models on the platform's list; ${plan.model.modelId} is not one of them`);
      }
      return {
        travelling: (): DeploymentModelCache => ({
          scope: 'shared',
          bucket,
          prefix: this.config.DEPLOYER_SHARED_CACHE_PREFIX,
          endpointUrl: this.config.DEPLOYER_SHARED_CACHE_ENDPOINT,
          region: this.config.DEPLOYER_SHARED_CACHE_REGION,
        }),
        secrets: undefined,
      };
    }
    const url = new URL(request.user_s3_url!);
    const prefix = [url.pathname.replace(/^\/+|\/+$/g, ''), projectId].filter(Boolean).join('/');
    if (request.user_aws_endpoint_url) this.checkPublic('user_aws_endpoint_url', request.user_aws_endpoint_url, this.config.S3CONFIG_ALLOW_PRIVATE);
    const secrets = { accessKeyId: request.user_aws_access_key_id!, secretAccessKey: request.user_aws_secret_access_key! };
    return {
      travelling: (seal: (value: string) => string): DeploymentModelCache => ({
        scope: 'private',
        bucket: url.hostname,
        prefix,
        endpointUrl: request.user_aws_endpoint_url,
        region: 'us-east-1',
        sealedAccessKeyId: seal(secrets.accessKeyId),
        sealedSecretAccessKey: seal(secrets.secretAccessKey),
      }),
      secrets,
    };
  }

  private checkPublic(field: string, url: string, allowPrivate: boolean): void {
    try {
      checkUrl(url, new AddressPolicy({ allowPrivate }));
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw new ValidationError(field, error.message);
      throw error;
    }
  }

  private jobSecretsKey(): Buffer {
    const key = this.config.JOB_SECRETS_KEY;
    if (!key) throw new ServiceUnavailableError('Deployments need JOB_SECRETS_KEY, shared with the deployer, to seal their secrets');
    return key;
  }
}

const projectKeySchema = z.object({ runpod_api_key: z.string().min(1).max(512).nullable() }).strict();

/** The providers whose model names resolve here: the Hub's own, by the names of the models the registry knows. */
const MODEL_NAME_PROVIDERS = ['huggingface', 'hf'];

/** The seed's `model_name` (with `provider`) as a Hub repo id: a full id as it is, a known model's short name resolved. */
function modelIdOf(modelName: string, provider: string | undefined): string {
  if (provider !== undefined && !MODEL_NAME_PROVIDERS.includes(provider.toLowerCase())) {
    throw new ValidationError(
      'provider',
      `"${provider}" is not a provider whose names resolve here; use ${MODEL_NAME_PROVIDERS.join(' or ')}, or give hf_model_id`,
    );
  }
  if (modelName.includes('/')) return modelName;
  const id = modelIdOfName(modelName);
  if (!id) throw new ValidationError('model_name', `"${modelName}" is not a model name known here; give hf_model_id (owner/name)`);
  return id;
}

/** A deployment as the API answers it: the seed's fields, never a secret. */
function describe(deployment: StoredDeployment): Record<string, unknown> {
  return {
    deployment_id: deployment.id,
    status: deployment.status,
    model_id: deployment.modelId,
    task: deployment.task,
    endpoint: deployment.endpoint,
    runpod_endpoint_id: deployment.runpodEndpointId,
    endpoint_url: deployment.endpointUrl,
    gpu_allocated: deployment.gpuAllocated,
    gpu_pool: deployment.gpuPool,
    model_vram_gb: deployment.modelVramGb,
    vram_source: deployment.vramSource,
    price_per_hour_usd: deployment.pricePerHourUsd,
    max_workers: deployment.maxWorkers,
    gpu_tier: deployment.gpuTier,
    region: deployment.region,
    cache_scope: deployment.cacheScope,
    webhook_url: deployment.webhookUrl,
    error: deployment.error,
    phase_durations: deployment.phaseDurations,
    created_at: deployment.createdAt.toISOString(),
    ready_at: deployment.readyAt?.toISOString() ?? null,
    deleted_at: deployment.deletedAt?.toISOString() ?? null,
  };
}
