import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SecretKeyring } from '@switchyard/secrets';
import type { Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { DeploymentChanges } from '../database/deployment-changes';
import { deploymentSecretContext, DeploymentRepository, type StoredDeployment } from '../database/deployment.repository';
import { CONFIG, LOGGER } from '../infra/tokens';
import { RemoteBackend } from './remote-backends';

/** A ready deployment as a remote backend of its endpoint, for its project. */
export interface DeploymentBackend {
  id: string;
  projectId: string;
  /** The endpoint queue it serves. */
  queue: string;
  modelId: string;
  remote: RemoteBackend;
}

/**
 * The ready deployments of every project (`/v1/deployments`), each a remote backend of its endpoint
 * with the deployment's capacity (its max workers), probed like any remote. Refreshed from Postgres
 * when a change is announced (DeploymentChanges) and periodically in case one was missed; a
 * deployment that is no longer ready leaves at the refresh, and listeners (the relay) hear of every change.
 */
@Injectable()
export class DeploymentBackends implements OnModuleInit, OnApplicationShutdown {
  private readonly backends = new Map<string, DeploymentBackend>();
  private readonly listeners: ((backends: readonly DeploymentBackend[]) => void)[] = [];
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private rereading?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deployments: DeploymentRepository,
    private readonly keyring: SecretKeyring,
    private readonly changes: DeploymentChanges,
  ) {}

  /** The project's ready deployments serving the queue. */
  forProject(projectId: string, queue: string): DeploymentBackend[] {
    return [...this.backends.values()].filter((backend) => backend.projectId === projectId && backend.queue === queue);
  }

  get(deploymentId: string): DeploymentBackend | undefined {
    return this.backends.get(deploymentId);
  }

  all(): DeploymentBackend[] {
    return [...this.backends.values()];
  }

  onChange(listener: (backends: readonly DeploymentBackend[]) => void): void {
    this.listeners.push(listener);
  }

  async onModuleInit(): Promise<void> {
    const refresh = () => void this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'deployments could not be read'));
    await this.changes.listen(refresh);
    await this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'deployments could not be read; retrying'));
    this.timer = setInterval(refresh, this.config.DEPLOYMENT_BACKENDS_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    for (const backend of this.backends.values()) backend.remote.stop();
    this.backends.clear();
  }

  /**
   * Reads the ready deployments again. A call while a read is in flight gets one more read after it,
   * shared by every such call: the read in flight may have started before the change the caller heard of.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.read().finally(() => (this.refreshing = undefined));
      return this.refreshing;
    }
    this.rereading ??= this.refreshing
      .catch(() => undefined)
      .then(() => {
        this.rereading = undefined;
        return this.refresh();
      });
    return this.rereading;
  }

  private async read(): Promise<void> {
    const ready = new Map((await this.deployments.ready()).filter((row) => row.runpodEndpointId).map((row) => [row.id, row]));
    let changed = false;
    for (const [id, backend] of this.backends) {
      if (ready.has(id)) continue;
      backend.remote.stop();
      this.backends.delete(id);
      changed = true;
    }
    for (const [id, row] of ready) {
      if (this.backends.has(id)) continue;
      const backend = this.backendOf(row);
      backend.remote.start();
      this.backends.set(id, backend);
      changed = true;
    }
    if (changed) for (const listener of this.listeners) listener(this.all());
  }

  private backendOf(row: StoredDeployment): DeploymentBackend {
    const apiKey = this.keyring.open(row.runpodApiKey, deploymentSecretContext(row.id, 'runpod_api_key'));
    const remote = new RemoteBackend(
      { baseUrl: this.config.RUNPOD_JOB_API_URL, endpointId: row.runpodEndpointId!, timeoutMs: 10_000, maxConcurrency: Math.max(1, row.maxWorkers ?? 1) },
      apiKey,
      { ...this.config, REMOTE_ALLOW_PRIVATE: this.config.RUNPOD_ALLOW_PRIVATE },
    );
    return { id: row.id, projectId: row.projectId, queue: row.endpoint, modelId: row.modelId, remote };
  }
}
