import { Inject, Injectable } from '@nestjs/common';
import {
  clientAvailability,
  decideRoute,
  localAvailability,
  NoBackendAvailableError,
  refused,
  remoteAvailability,
  routingModelFor,
  UnknownBackendError,
  describeRefusal,
  describeSkipped,
  type AvailabilityFacts,
  type BackendAvailability,
  type BackendName,
  type RouteDecision,
  type RoutingModel,
} from '@switchyard/routing';
import { deploymentBackendName, deploymentLaneOf, remoteLaneOf, type QueueContract } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG } from '../infra/tokens';
import { DeploymentBackends } from './deployment-backends';
import { ServiceUnavailableError, ValidationError } from '../http/api-errors';
import { localObservation, QueueLoadMonitor } from './queue-load';
import { RemoteBackends } from './remote-backends';
import { ROUTING_SETTINGS } from './routing.tokens';
import type { RoutingSettings } from './routing-settings';

/** Where a job goes: the router's decision, and the BullMQ queue that takes it (none for the client, which runs in the browser). */
export interface RoutedJob extends RouteDecision {
  model: RoutingModel;
  queue?: string;
  /** Set when the job overflows to one of its project's deployments (`/v1/deployments`): the backend its record names. */
  recordedBackend?: string;
}

export interface RouteRequest {
  /** The model the request names, if its endpoint serves several. */
  modelId?: string;
  preferBackend?: string;
  /** Whether the caller can hand the work to a browser (the text detector's /predict can; a /v2 job cannot). */
  allowClient?: boolean;
  /** The caller's project, whose ready deployments the endpoint may overflow to. */
  projectId?: string;
}

/**
 * Chooses each job's backend by the routing configuration: the request's `prefer_backend`, the
 * model's preferred backend, then its fallbacks, from facts sampled in the background (queue load,
 * worker presence, remote health and circuit), so a decision costs no round trip.
 */
@Injectable()
export class BackendRouter {
  constructor(
    @Inject(ROUTING_SETTINGS) private readonly settings: RoutingSettings | undefined,
    private readonly load: QueueLoadMonitor,
    private readonly remotes: RemoteBackends,
    private readonly deployments: DeploymentBackends,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Whether the endpoint routes between backends; an endpoint that does not runs every job on its local queue. */
  routes(contract: QueueContract): boolean {
    return this.settings?.config.endpoints[contract.queue] !== undefined;
  }

  /** The routing entry of a model of the endpoint, if it is configured. */
  model(contract: QueueContract, modelId?: string): RoutingModel | undefined {
    return this.settings && routingModelFor(this.settings.config, contract.queue, modelId);
  }

  /**
   * The backend for a new job, or `undefined` when the endpoint has no routing.
   * @throws ValidationError (`prefer_backend`) for a backend the model may not use.
   * @throws ServiceUnavailableError listing why each backend refused.
   */
  async route(contract: QueueContract, request: RouteRequest = {}): Promise<RoutedJob | undefined> {
    const model = this.model(contract, request.modelId);
    if (!model) return request.projectId === undefined ? undefined : this.routeToDeployments(contract, request.projectId, request.modelId);
    const facts = await this.facts(contract, model, request.allowClient ?? false);
    const decision = decide(model, facts, request.preferBackend);
    const queue = queueOf(contract, decision.backend);
    if (queue) this.load.routed(queue);
    return { ...decision, model, queue };
  }

  /**
   * An endpoint without routing configuration that has ready deployments in the caller's project
   * runs locally while its estimated wait is under DEPLOYMENT_OVERFLOW_WAIT_MS, then overflows to
   * the first deployment (of the job's model, if it names one) that can take it. With none, the
   * job waits locally as without routing.
   */
  private async routeToDeployments(contract: QueueContract, projectId: string, modelId: string | undefined): Promise<RoutedJob | undefined> {
    const candidates = this.deployments.forProject(projectId, contract.queue).filter((deployment) => modelId === undefined || deployment.modelId === modelId);
    if (candidates.length === 0) return undefined;
    const model: RoutingModel = { id: candidates[0].modelId, endpoint: contract.queue, size: 'tiny', preferred: 'local', fallbacks: ['remote'] };
    const limits = { maxLocalSize: 'large' as const, maxEstimatedWaitMs: this.config.DEPLOYMENT_OVERFLOW_WAIT_MS };
    const [localLoad, ...laneLoads] = await Promise.all([
      this.load.sample(contract.queue),
      ...candidates.map((deployment) => this.load.sample(deploymentLaneOf(contract.queue, deployment.id))),
    ]);
    const local = localAvailability(model, limits, { ...localObservation(localLoad, model.id), modelLoaded: true });
    if (local.available) {
      this.load.routed(contract.queue);
      return { backend: 'local', skipped: [], note: '', model, queue: contract.queue };
    }
    const healths = await Promise.all(candidates.map((deployment) => deployment.remote.health()));
    const refusals: string[] = [];
    for (const [index, deployment] of candidates.entries()) {
      const remote = remoteAvailability(deployment.remote.config, {
        health: healths[index],
        breaker: deployment.remote.breaker,
        inFlight: laneLoads[index].queuedJobs,
      });
      if (!remote.available) {
        refusals.push(`deployment ${deployment.id}: ${describeRefusal(remote.reason)}`);
        continue;
      }
      const lane = deploymentLaneOf(contract.queue, deployment.id);
      this.load.routed(lane);
      return {
        backend: 'remote',
        skipped: [{ backend: 'local', reason: local.reason }],
        note: `overflow to deployment ${deployment.id}, as local: ${describeRefusal(local.reason)}`,
        model,
        queue: lane,
        recordedBackend: deploymentBackendName(deployment.id),
      };
    }
    this.load.routed(contract.queue);
    return { backend: 'local', skipped: [], note: `queued locally, as no deployment can take it now: ${refusals.join('; ')}`, model, queue: contract.queue };
  }

  /** The endpoint's remote backend as /health reports it: state, circuit, jobs in flight and the capacity it reported; undefined without one. */
  async describeRemote(endpointId: string) {
    const remote = this.remotes.of(endpointId);
    if (!remote) return undefined;
    return remote.describe((await this.load.sample(remoteLaneOf(endpointId))).queuedJobs);
  }

  /**
   * What each of the model's backends can take now. The samples are awaited first and the facts
   * worked out after, in one synchronous step, so concurrent requests each see the jobs routed
   * just before them (see QueueLoadMonitor.routed).
   */
  async facts(contract: QueueContract, model: RoutingModel, allowClient: boolean): Promise<AvailabilityFacts> {
    const { config } = this.settings!;
    const backends = config.endpoints[model.endpoint];
    const remote = backends.remote && this.remotes.of(contract.queue)!;
    const [localLoad, laneLoad, remoteHealth] = await Promise.all([
      backends.local && this.load.sample(contract.queue),
      remote && this.load.sample(remoteLaneOf(contract.queue)),
      remote?.health(),
    ]);
    const facts: { -readonly [Name in BackendName]?: AvailabilityFacts[Name] } = {};
    if (localLoad) facts.local = localAvailability(model, config.local, localObservation(localLoad, model.id));
    if (remote && laneLoad) facts.remote = remoteAvailability(remote.config, { health: remoteHealth, breaker: remote.breaker, inFlight: laneLoad.queuedJobs });
    if (backends.client) facts.client = allowClient ? clientAvailability(backends.client, model) : refused({ kind: 'browser-only' });
    return facts;
  }
}

/** The router's decision, its errors as the API answers them. */
function decide(model: RoutingModel, facts: AvailabilityFacts, preferBackend: string | undefined): RouteDecision {
  try {
    return decideRoute(model, facts, { preferBackend });
  } catch (error) {
    if (error instanceof UnknownBackendError) throw new ValidationError('prefer_backend', error.message);
    if (!(error instanceof NoBackendAvailableError)) throw error;
    // Nothing can take the job now, but the local queue will: its workers arrive (scaling up from zero on this
    // very queue), load the model or drain the queue. Waiting there beats refusing; the caller's wait bounds it.
    if (!canWaitInQueue(facts.local)) throw new ServiceUnavailableError(error.message);
    return { backend: 'local', skipped: error.refusals, note: `queued locally, as no backend can take it now: ${describeSkipped(error.refusals)}` };
  }
}

/** Refusals a local queue recovers from by itself: workers arrive, load the model, drain the queue. */
function canWaitInQueue(local: BackendAvailability | undefined): boolean {
  return local !== undefined && !local.available && ['no-live-workers', 'model-not-loaded', 'estimated-wait'].includes(local.reason.kind);
}

function queueOf(contract: QueueContract, backend: BackendName): string | undefined {
  if (backend === 'local') return contract.queue;
  if (backend === 'remote') return remoteLaneOf(contract.queue);
  return undefined;
}
