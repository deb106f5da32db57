import { isCapacityError } from '@switchyard/runpod';
import type { DeleteOperation, DeploymentFacts, DeploymentPhase, DeploymentReadyBody, DeploymentStatus, DeployOperation } from '@switchyard/shared';
import type { CatalogSnapshot } from '../gpus/cached-catalog';
import type { GpuCandidate } from '../gpus/catalog-gpu';
import { NoGpuCapacityError, EndpointNotReadyError } from './deployment-errors';
import { planDeployment, type DeploymentPlan } from './deployment-plan';
import type { CreatedEndpoint, DeployedEndpointProbe, EndpointRequest, RunPodManagement } from './ports';
import type { WorkerReport } from './readiness';
import { workerEnvironment, type WorkerSecrets } from './worker-environment';

/** How deployed endpoints are shaped: the operator's configuration (DEPLOYER_* variables). */
export interface EndpointSettings {
  /** Switchyard's worker image, which serves every worker app in RunPod mode. */
  workerImage: string;
  /** An operator's serverless template to base endpoints on instead of the bare image (its env is merged under ours). */
  templateId?: string;
  containerDiskGb: number;
  workersMin: number;
  workersMax: number;
  idleTimeoutS: number;
  /** RunPod's QUEUE_DELAY scaler: seconds a job may wait before another worker starts. */
  queueDelayS: number;
  flashboot: EndpointRequest['flashboot'];
  /** RunPod's per-job execution timeout of the endpoint, ms. */
  executionTimeoutMs: number;
}

export interface ReadinessSettings {
  timeoutMs: number;
  pollMs: number;
  /** How long the health-check job may take once a worker is up. */
  healthCheckWaitMs: number;
}

/** Where a deployment's progress goes: the deploy or delete job's stream, which the gateway records on the deployment. */
export interface DeploymentReporter {
  status(status: DeploymentStatus, phaseDurations: Record<string, number>, facts?: DeploymentFacts): Promise<void>;
  log(level: 'info' | 'warn' | 'error', message: string): Promise<void>;
}

export interface DeployContext {
  operation: DeployOperation;
  /** Its HF token also reaches the Hub while the deployment is planned. */
  workerSecrets: WorkerSecrets;
  readinessUrl: string;
  readinessSecret: string;
  runpod: RunPodManagement;
  catalog: () => Promise<CatalogSnapshot>;
  probe: (runpodEndpointId: string) => DeployedEndpointProbe;
  workerReport: () => Promise<WorkerReport | undefined>;
  reporter: DeploymentReporter;
  signal: AbortSignal;
}

export interface DeleteContext {
  operation: DeleteOperation;
  runpod: RunPodManagement;
  reporter: DeploymentReporter;
  signal: AbortSignal;
}

/** RunPod endpoints of deployments are named after them, so a deployer that resumes one finds what it created. */
export function endpointNameOf(deploymentId: string): string {
  return `switchyard-${deploymentId}`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Measures each phase of one run of a deployment, in seconds, as the seed's `phase_durations`. */
class PhaseClock {
  readonly durations: Record<string, number> = {};
  private current?: { phase: DeploymentPhase; since: number };

  enter(phase: DeploymentPhase): void {
    this.close();
    this.current = { phase, since: performance.now() };
  }

  close(): void {
    if (!this.current) return;
    const seconds = (performance.now() - this.current.since) / 1000;
    this.durations[this.current.phase] = Math.round(((this.durations[this.current.phase] ?? 0) + seconds) * 1000) / 1000;
    this.current = undefined;
  }

  get total(): number {
    return Object.values(this.durations).reduce((sum, seconds) => sum + seconds, 0);
  }
}

/**
 * Runs deployments: validating → selecting_gpu → creating_endpoint → loading_model (downloading_model)
 * → ready. Every step is idempotent by the endpoint's name, so a deployer that dies mid-deployment is
 * replaced by one that finds the endpoint and goes on waiting for it. A deployment that fails or is
 * cancelled deletes what it created, so nothing is left billing.
 */
export class DeploymentOrchestrator {
  constructor(
    private readonly endpoints: EndpointSettings,
    private readonly readiness: ReadinessSettings,
    private readonly jobApiBaseUrl: string,
    private readonly hubUrl?: string,
  ) {}

  async deploy(context: DeployContext): Promise<DeploymentReadyBody> {
    const { operation, reporter, signal } = context;
    const clock = new PhaseClock();
    const enter = async (phase: DeploymentPhase, facts?: DeploymentFacts) => {
      clock.enter(phase);
      await reporter.status(phase, clock.durations, facts);
    };
    let endpoint: CreatedEndpoint | undefined;
    try {
      await enter('validating');
      endpoint = await context.runpod.findEndpointByName(endpointNameOf(operation.deployment_id), signal);
      if (endpoint) await reporter.log('info', `Resuming: endpoint ${endpoint.id} already exists`);
      const plan = await planDeployment(
        { modelId: operation.model_id, hfToken: context.workerSecrets.hfToken, task: operation.task, gpuTier: operation.gpu_tier },
        { hubUrl: this.hubUrl, catalog: context.catalog },
      );
      await reporter.log('info', `VRAM: ${plan.vram.detail}`);
      const vramFacts: DeploymentFacts = { model_vram_gb: plan.vram.gb, vram_source: plan.vram.source, max_workers: this.endpoints.workersMax };

      await enter('selecting_gpu', vramFacts);
      if (plan.catalog.problem) await reporter.log('warn', `RunPod's GPU catalogue is unavailable (${plan.catalog.problem}); using the static registry`);
      await reporter.log('info', `GPU candidates: ${plan.candidates.map((candidate) => `${candidate.pool} $${candidate.pricePerHourUsd}/h`).join(', ')}`);

      await enter('creating_endpoint');
      let chosen: GpuCandidate;
      if (endpoint) {
        chosen = plan.candidates.find((candidate) => endpoint!.pools?.includes(candidate.pool)) ?? plan.candidates[0];
      } else {
        ({ endpoint, chosen } = await this.createEndpoint(context, plan));
      }
      const endpointUrl = `${this.jobApiBaseUrl.replace(/\/+$/, '')}/v2/${endpoint.id}/run`;
      await enter('loading_model', {
        runpod_endpoint_id: endpoint.id,
        runpod_template_id: endpoint.templateId,
        gpu_allocated: chosen.gpuNames.join(' / '),
        gpu_pool: chosen.pool,
        price_per_hour_usd: chosen.pricePerHourUsd,
        endpoint_url: endpointUrl,
      });
      await this.waitUntilReady(context, endpoint.id, clock, enter);
      clock.close();
      const readyAt = new Date().toISOString();
      await reporter.status('ready', clock.durations);
      return {
        event: 'deployment_ready',
        deployment_id: operation.deployment_id,
        status: 'ready',
        endpoint_url: endpointUrl,
        runpod_endpoint_id: endpoint.id,
        model_id: operation.model_id,
        gpu_allocated: chosen.gpuNames.join(' / '),
        created_at: operation.created_at,
        ready_at: readyAt,
        duration_seconds: Math.round((Date.parse(readyAt) - Date.parse(operation.created_at)) / 100) / 10,
        phase_durations: clock.durations,
        usage_example: {
          method: 'POST',
          url: endpointUrl,
          headers: { Authorization: 'Bearer YOUR_RUNPOD_API_KEY', 'Content-Type': 'application/json' },
          body: { input: usageInputFor(operation.endpoint) },
        },
      };
    } catch (error) {
      clock.close();
      // A deployment that cannot finish leaves nothing billing, whatever stopped it (the delete job checks again).
      const created = endpoint ?? (await context.runpod.findEndpointByName(endpointNameOf(operation.deployment_id)).catch(() => undefined));
      if (created) await this.removeEndpoint(context.runpod, created, reporter).catch(() => undefined);
      throw error;
    }
  }

  /** Scales the deployment's endpoint to zero and deletes it (and a template bound to it); idempotent. */
  async delete(context: DeleteContext): Promise<{ endpoints: string[]; templates: string[] }> {
    const { operation, runpod, reporter, signal } = context;
    const found = new Map<string, CreatedEndpoint>();
    const byName = await runpod.findEndpointByName(endpointNameOf(operation.deployment_id), signal);
    if (byName) found.set(byName.id, byName);
    if (operation.runpod_endpoint_id && !found.has(operation.runpod_endpoint_id)) {
      const byId = await runpod.getEndpoint(operation.runpod_endpoint_id, signal);
      if (byId) found.set(byId.id, byId);
    }
    const deleted = { endpoints: [] as string[], templates: [] as string[] };
    for (const endpoint of found.values()) {
      await this.removeEndpoint(runpod, endpoint, reporter, signal);
      deleted.endpoints.push(endpoint.id);
      if (endpoint.templateId && endpoint.templateId !== this.endpoints.templateId) deleted.templates.push(endpoint.templateId);
    }
    if (
      operation.runpod_template_id &&
      operation.runpod_template_id !== this.endpoints.templateId &&
      !deleted.templates.includes(operation.runpod_template_id)
    ) {
      await runpod.deleteTemplate(operation.runpod_template_id, signal);
      deleted.templates.push(operation.runpod_template_id);
    }
    if (found.size === 0) await reporter.log('info', 'Nothing left on RunPod to delete');
    return deleted;
  }

  private async createEndpoint(context: DeployContext, plan: DeploymentPlan): Promise<{ endpoint: CreatedEndpoint; chosen: GpuCandidate }> {
    const { operation, reporter, signal } = context;
    const environment = workerEnvironment(operation, context.workerSecrets, { readinessUrl: context.readinessUrl, readinessSecret: context.readinessSecret });
    const tried: { candidate: GpuCandidate; reason: string }[] = [];
    for (const candidate of plan.candidates) {
      const request: EndpointRequest = {
        name: endpointNameOf(operation.deployment_id),
        type: 'QUEUE',
        ...(this.endpoints.templateId ? { templateId: this.endpoints.templateId } : { image: this.endpoints.workerImage }),
        args: `node apps/${operation.worker_app}/dist/index.js`,
        env: environment,
        disk: this.endpoints.containerDiskGb,
        gpu: { pools: [candidate.pool] },
        workers: { min: this.endpoints.workersMin, max: this.endpoints.workersMax, idleTimeout: this.endpoints.idleTimeoutS },
        scaling: { type: 'QUEUE_DELAY', queueDelay: this.endpoints.queueDelayS },
        flashboot: this.endpoints.flashboot,
        timeout: this.endpoints.executionTimeoutMs,
        ...(operation.region ? { dataCenterIds: [operation.region] } : {}),
      };
      try {
        const endpoint = await context.runpod.createEndpoint(request, signal);
        await reporter.log('info', `Created endpoint ${endpoint.id} on ${candidate.pool}`);
        return { endpoint, chosen: candidate };
      } catch (error) {
        if (!isCapacityError(error)) throw error;
        const reason = (error as Error).message;
        tried.push({ candidate, reason });
        await reporter.log('warn', `No capacity on ${candidate.pool} (${reason}); trying the next GPU`);
      }
    }
    throw new NoGpuCapacityError(tried);
  }

  /**
   * Waits for the endpoint: the worker's own signed callback (which also says when it is
   * downloading and loading its model), then a worker up on RunPod's `/health` and a `runsync` of
   * its health check. A worker reporting `failed`, or no readiness within the timeout, fails it.
   */
  private async waitUntilReady(context: DeployContext, endpointId: string, clock: PhaseClock, enter: (phase: DeploymentPhase) => Promise<void>): Promise<void> {
    const { signal, reporter } = context;
    const probe = context.probe(endpointId);
    const deadline = Date.now() + this.readiness.timeoutMs;
    let reported: WorkerReport['status'] | undefined;
    for (;;) {
      const report = await context.workerReport();
      if (report && report.status !== reported) {
        reported = report.status;
        if (report.status === 'failed') throw new EndpointNotReadyError(`The worker failed to start: ${report.message ?? 'no reason given'}`);
        if (report.status === 'downloading_model') await enter('downloading_model');
        if (report.status === 'loading_model') await enter('loading_model');
        if (report.message) await reporter.log('info', `Worker: ${report.message}`);
      }
      if (report?.status === 'ready' || (await probe.readyWorkers(signal).catch(() => 0)) > 0) {
        try {
          await probe.healthCheck(this.readiness.healthCheckWaitMs, signal);
          await reporter.log('info', 'Health check passed');
          return;
        } catch (error) {
          if (signal.aborted) throw error;
          await reporter.log('warn', `Health check not passed yet: ${(error as Error).message}`);
        }
      }
      if (Date.now() >= deadline) {
        clock.close();
        throw new EndpointNotReadyError(`The endpoint was not ready within ${Math.round(this.readiness.timeoutMs / 1000)} s`);
      }
      await sleep(Math.min(this.readiness.pollMs, Math.max(0, deadline - Date.now())), signal);
    }
  }

  private async removeEndpoint(runpod: RunPodManagement, endpoint: CreatedEndpoint, reporter: DeploymentReporter, signal?: AbortSignal): Promise<void> {
    await runpod.scaleToZero(endpoint.id, signal);
    await runpod.deleteEndpoint(endpoint.id, signal);
    if (endpoint.templateId && endpoint.templateId !== this.endpoints.templateId) await runpod.deleteTemplate(endpoint.templateId, signal);
    await reporter.log('info', `Deleted endpoint ${endpoint.id}`);
  }
}

/** A job input that works on the deployed endpoint, for the webhook's `usage_example`. */
function usageInputFor(endpoint: string): Record<string, unknown> {
  switch (endpoint) {
    case 'generator':
      return { route: 'create', prompt: 'A serene mountain landscape at sunset', steps: 25, cfg_scale: 7 };
    case 'embedder':
      return { text: 'Switchyard runs your GPU jobs' };
    case 'text-detector':
      return { text: 'Is this paragraph written by a person or a model?' };
    case 'spai':
      return { image_url: 'https://example.com/image.jpg' };
    default:
      return {};
  }
}
