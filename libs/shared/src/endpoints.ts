import {
  deployerContract,
  echoContract,
  embedderContract,
  generatorContract,
  spaiContract,
  textDetectorContract,
  upscalerContract,
  type QueueContract,
} from './contracts';

/**
 * Maps the endpoint ids of the `/v2/{endpointId}` API to the queues that serve them. Model
 * endpoints are added here as their workers land; operators may add aliases (for example a
 * RunPod endpoint id their clients already use) through configuration.
 */
export const BUILT_IN_ENDPOINTS: Readonly<Record<string, QueueContract>> = {
  echo: echoContract,
  embedder: embedderContract,
  spai: spaiContract,
  'text-detector': textDetectorContract,
  generator: generatorContract,
  upscaler: upscalerContract,
  deployer: deployerContract,
};

export class EndpointRegistry {
  private readonly endpoints: Map<string, QueueContract>;

  constructor(aliases: Readonly<Record<string, string>> = {}, served: Readonly<Record<string, QueueContract>> = BUILT_IN_ENDPOINTS) {
    this.endpoints = new Map(Object.entries(served));
    for (const [alias, target] of Object.entries(aliases)) {
      if (served[alias]) throw new Error(`Endpoint alias "${alias}" is an endpoint already`);
      const contract = served[target];
      if (!contract || contract.internal) throw new Error(`Endpoint alias "${alias}" points to unknown endpoint "${target}"`);
      this.endpoints.set(alias, contract);
    }
  }

  find(endpointId: string): QueueContract | undefined {
    return this.endpoints.get(endpointId);
  }

  /** Whether `/v2/{endpointId}` serves the id: internal queues (the deployer's) are queued by the gateway's own APIs only. */
  isPublic(endpointId: string): boolean {
    return this.endpoints.get(endpointId)?.internal !== true;
  }

  /** Every distinct queue, once, even when several endpoint ids alias it. */
  contracts(): QueueContract[] {
    return [...new Set(this.endpoints.values())];
  }
}

/** The contract of a queue a worker is configured to serve; unknown names fail start-up. */
export function contractForQueue(queue: string): QueueContract {
  const contract = Object.values(BUILT_IN_ENDPOINTS).find((candidate) => candidate.queue === queue);
  if (!contract) {
    const known = [...new Set(Object.values(BUILT_IN_ENDPOINTS).map((candidate) => candidate.queue))];
    throw new Error(`Unknown queue "${queue}"; known queues: ${known.join(', ')}`);
  }
  return contract;
}
