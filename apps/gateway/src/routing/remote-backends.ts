import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AddressPolicy } from '@switchyard/outbound';
import { CircuitBreaker, type RemoteBackendConfig, type RemoteObservation } from '@switchyard/routing';
import { RemoteHealthProbe, RunPodEndpointClient } from '@switchyard/runpod';
import type { GatewayConfig } from '../config';
import { CONFIG } from '../infra/tokens';
import { ROUTING_SETTINGS } from './routing.tokens';
import type { RoutingSettings } from './routing-settings';

/** One endpoint's remote backend: its client, its circuit breaker and its health probe, shared by the router and the relay of this process. */
export class RemoteBackend {
  readonly client: RunPodEndpointClient;
  readonly breaker: CircuitBreaker;
  private readonly probe: RemoteHealthProbe;

  constructor(
    readonly config: Pick<RemoteBackendConfig, 'baseUrl' | 'endpointId' | 'timeoutMs' | 'maxConcurrency'>,
    apiKey: string,
    gateway: Pick<GatewayConfig, 'REMOTE_HEALTH_INTERVAL_MS' | 'REMOTE_CIRCUIT_FAILURES' | 'REMOTE_CIRCUIT_COOL_DOWN_MS' | 'REMOTE_ALLOW_PRIVATE'>,
  ) {
    this.client = new RunPodEndpointClient({
      baseUrl: config.baseUrl,
      endpointId: config.endpointId,
      apiKey,
      timeoutMs: config.timeoutMs,
      addressPolicy: new AddressPolicy({ allowPrivate: gateway.REMOTE_ALLOW_PRIVATE }),
    });
    this.breaker = new CircuitBreaker({ failureThreshold: gateway.REMOTE_CIRCUIT_FAILURES, coolDownMs: gateway.REMOTE_CIRCUIT_COOL_DOWN_MS });
    // The probe stays out of the breaker: a remote whose /health answers while its /run fails must still open its circuit.
    this.probe = new RemoteHealthProbe(this.client, { intervalMs: gateway.REMOTE_HEALTH_INTERVAL_MS });
  }

  /** The latest probe's outcome; until the first has answered, that first probe's: a backend that has just appeared is probed before it is judged. */
  async health(): Promise<RemoteObservation['health']> {
    return this.probe.latest() ?? this.probe.probe();
  }

  /** What /health reports of the remote: its state, its circuit and the capacity it last reported. */
  describe(inFlight: number) {
    const health = this.probe.latest();
    return {
      remote: this.client.remote,
      status: health === undefined ? 'unknown' : health.ok ? 'healthy' : 'unhealthy',
      ...(health && !health.ok ? { detail: health.detail } : {}),
      circuit: this.breaker.state(),
      inFlight,
      maxConcurrency: this.config.maxConcurrency,
      ...(health?.ok ? { capacity: health.capacity } : {}),
      ...(health ? { checkedAt: new Date(health.checkedAt).toISOString() } : {}),
    };
  }

  start(): void {
    this.probe.start();
  }

  stop(): void {
    this.probe.stop();
  }
}

/** The remote backends of the routing configuration, by endpoint id; probed from start-up to shutdown. */
@Injectable()
export class RemoteBackends implements OnModuleInit, OnApplicationShutdown {
  private readonly backends = new Map<string, RemoteBackend>();

  constructor(@Inject(ROUTING_SETTINGS) settings: RoutingSettings | undefined, @Inject(CONFIG) config: GatewayConfig) {
    for (const [endpointId, backends] of Object.entries(settings?.config.endpoints ?? {})) {
      if (backends.remote) this.backends.set(endpointId, new RemoteBackend(backends.remote, settings!.remoteApiKeys.get(endpointId)!, config));
    }
  }

  of(endpointId: string): RemoteBackend | undefined {
    return this.backends.get(endpointId);
  }

  entries(): [string, RemoteBackend][] {
    return [...this.backends];
  }

  onModuleInit(): void {
    for (const backend of this.backends.values()) backend.start();
  }

  onApplicationShutdown(): void {
    for (const backend of this.backends.values()) backend.stop();
  }
}
