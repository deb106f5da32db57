import type { CatalogGpu } from '../gpus/catalog-gpu';

/** The body of RunPod's `POST /v2/serverless`, as the deployer fills it (field names are RunPod's, camelCase). */
export interface EndpointRequest {
  name: string;
  type: 'QUEUE';
  image?: string;
  templateId?: string;
  /** The container's start command: the worker app to run (the image's default runs the gateway). */
  args: string;
  env: Record<string, string>;
  /** Container disk, GB. */
  disk?: number;
  gpu: { pools: string[] };
  workers: { min: number; max: number; idleTimeout: number };
  scaling: { type: 'QUEUE_DELAY'; queueDelay: number };
  flashboot: 'OFF' | 'FLASHBOOT' | 'PRIORITY_FLASHBOOT';
  timeout: number;
  dataCenterIds?: string[];
}

export interface CreatedEndpoint {
  id: string;
  name: string;
  templateId?: string;
  pools?: readonly string[];
}

/** What the deployer does on RunPod's REST v2 API, with the caller's key (RunPodRestClient). */
export interface RunPodManagement {
  listGpuTypes(options: { availability: boolean; signal?: AbortSignal }): Promise<CatalogGpu[]>;
  createEndpoint(request: EndpointRequest, signal?: AbortSignal): Promise<CreatedEndpoint>;
  /** The endpoint of that name, if one exists: how a resumed deployment finds what it created before it could record it. */
  findEndpointByName(name: string, signal?: AbortSignal): Promise<CreatedEndpoint | undefined>;
  getEndpoint(id: string, signal?: AbortSignal): Promise<CreatedEndpoint | undefined>;
  /** Scales the endpoint to zero workers, so it stops billing before it is deleted. */
  scaleToZero(id: string, signal?: AbortSignal): Promise<void>;
  /** Idempotent: an endpoint already gone is not an error. RunPod also deletes a template bound to it. */
  deleteEndpoint(id: string, signal?: AbortSignal): Promise<void>;
  /** Idempotent, as deleteEndpoint. */
  deleteTemplate(id: string, signal?: AbortSignal): Promise<void>;
}

/** RunPod's job API of one deployed endpoint (RunPodEndpointClient), for the readiness probe. */
export interface DeployedEndpointProbe {
  /** Workers ready to take jobs (idle or running), from `GET /health`. */
  readyWorkers(signal?: AbortSignal): Promise<number>;
  /** A `runsync` of the worker's health check; resolves with its output, throws with why it failed. */
  healthCheck(waitMs: number, signal?: AbortSignal): Promise<unknown>;
}
