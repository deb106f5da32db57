import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { DeploymentOrchestrator, GpuCatalogs, readinessSecretFor, WorkerReports, type DeploymentReporter, type WorkerSecrets } from '@switchyard/deployments';
import { AddressPolicy } from '@switchyard/outbound';
import { RunPodRestClient } from '@switchyard/runpod';
import { deployerContract, openSecret, type DeployerInput, type DeployerOutput, type DeploymentChunk, type DeploymentModelCache } from '@switchyard/shared';
import type { JobContext } from '@switchyard/worker';
import type { DeployerConfig } from './config';
import { deployedEndpointProbe, runPodManagement } from './runpod-seams';
import { DEPLOYER_CONFIG, WORKER_REPORTS_REDIS } from './tokens';

/** The deployer's stream chunks, which the gateway records on the deployment and serves as its status and log streams. */
function streamReporter(context: JobContext): DeploymentReporter {
  const send = (chunk: DeploymentChunk) => context.stream(chunk);
  return {
    status: (status, phaseDurations, facts = {}) =>
      send({ kind: 'status', status, at: new Date().toISOString(), phase_durations: { ...phaseDurations }, facts }),
    log: (level, message) => send({ kind: 'log', level, message, at: new Date().toISOString() }),
  };
}

/** Runs the `deployer` queue's deploy and delete jobs with the orchestrator. */
@Controller()
export class DeployerController {
  private readonly orchestrator: DeploymentOrchestrator;
  private readonly catalogs: GpuCatalogs;
  private readonly reports: WorkerReports;

  constructor(
    @Inject(DEPLOYER_CONFIG) private readonly config: DeployerConfig,
    @Inject(WORKER_REPORTS_REDIS) redis: Redis,
  ) {
    this.orchestrator = new DeploymentOrchestrator(
      {
        workerImage: config.DEPLOYER_WORKER_IMAGE,
        templateId: config.DEPLOYER_TEMPLATE_ID,
        containerDiskGb: config.DEPLOYER_CONTAINER_DISK_GB,
        workersMin: config.DEPLOYER_WORKERS_MIN,
        workersMax: config.DEPLOYER_WORKERS_MAX,
        idleTimeoutS: config.DEPLOYER_IDLE_TIMEOUT_S,
        queueDelayS: config.DEPLOYER_QUEUE_DELAY_S,
        flashboot: config.DEPLOYER_FLASHBOOT,
        executionTimeoutMs: config.DEPLOYER_EXECUTION_TIMEOUT_MS,
      },
      { timeoutMs: config.DEPLOYER_READY_TIMEOUT_MS, pollMs: config.DEPLOYER_READY_POLL_MS, healthCheckWaitMs: config.DEPLOYER_HEALTH_CHECK_WAIT_MS },
      config.RUNPOD_JOB_API_URL,
      config.HF_ENDPOINT,
    );
    this.catalogs = new GpuCatalogs(config.DEPLOYER_CATALOG_TTL_MS);
    this.reports = new WorkerReports(redis, config.REDIS_PREFIX);
  }

  @MessagePattern(deployerContract.queue)
  async run(@Payload() input: DeployerInput, @Ctx() context: JobContext): Promise<DeployerOutput> {
    const reporter = streamReporter(context);
    const jobSecretsKey = this.config.JOB_SECRETS_KEY;
    if (!jobSecretsKey) throw new Error('This deployer has no JOB_SECRETS_KEY: it cannot open the secrets the gateway sealed for the deployment');
    const open = (sealed: string) => openSecret(jobSecretsKey, sealed, input.deployment_id);
    const runpodApiKey = open(input.sealed_runpod_api_key);
    const rest = new RunPodRestClient({
      apiKey: runpodApiKey,
      baseUrl: this.config.RUNPOD_REST_URL,
      addressPolicy: new AddressPolicy({ allowPrivate: this.config.RUNPOD_ALLOW_PRIVATE }),
    });
    const runpod = runPodManagement(rest);
    if (input.operation === 'delete') {
      await reporter.status('deleting', {});
      const deleted = await this.orchestrator.delete({ operation: input, runpod, reporter, signal: context.signal });
      await this.reports.forget(input.deployment_id);
      await reporter.status('deleted', {});
      return { event: 'deployment_deleted', deployment_id: input.deployment_id, status: 'deleted', deleted };
    }
    return this.orchestrator.deploy({
      operation: input,
      workerSecrets: { hfToken: input.sealed_hf_token && open(input.sealed_hf_token), ...this.cacheKeys(input.cache, open) },
      readinessUrl: this.config.DEPLOYER_CALLBACK_URL
        ? `${this.config.DEPLOYER_CALLBACK_URL.replace(/\/+$/, '')}/v1/deployments/${input.deployment_id}/ready`
        : '',
      readinessSecret: readinessSecretFor(jobSecretsKey, input.deployment_id),
      runpod,
      catalog: () => this.catalogs.snapshot(runpodApiKey, () => rest.listGpuTypes({ availability: true, signal: context.signal })),
      probe: (endpointId) =>
        deployedEndpointProbe({ baseUrl: this.config.RUNPOD_JOB_API_URL, apiKey: runpodApiKey, allowPrivate: this.config.RUNPOD_ALLOW_PRIVATE }, endpointId),
      workerReport: () => this.reports.latest(input.deployment_id),
      reporter,
      signal: context.signal,
    });
  }

  /** The keys the workers read their model cache with: the platform's for the shared cache, the caller's (sealed on the job) for a private one. */
  private cacheKeys(cache: DeploymentModelCache, open: (sealed: string) => string): Pick<WorkerSecrets, 'cacheAccessKeyId' | 'cacheSecretAccessKey'> {
    if (cache.scope === 'shared') {
      return { cacheAccessKeyId: this.config.DEPLOYER_SHARED_CACHE_ACCESS_KEY_ID, cacheSecretAccessKey: this.config.DEPLOYER_SHARED_CACHE_SECRET_ACCESS_KEY };
    }
    if (cache.scope === 'private' && cache.sealedAccessKeyId && cache.sealedSecretAccessKey) {
      return { cacheAccessKeyId: open(cache.sealedAccessKeyId), cacheSecretAccessKey: open(cache.sealedSecretAccessKey) };
    }
    return {};
  }
}
