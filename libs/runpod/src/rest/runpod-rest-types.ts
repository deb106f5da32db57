// What the REST client sends and returns, in the field names of RunPod's REST v2 spec
// (runpod-rest-v2.openapi.json), camelCase throughout.

export type EndpointType = 'QUEUE' | 'LOAD_BALANCER';
export type FlashBoot = 'OFF' | 'FLASHBOOT' | 'PRIORITY_FLASHBOOT';
export type TemplateCategory = 'CPU' | 'NVIDIA' | 'AMD';
export type WorkerStatus = 'RUNNING' | 'IDLE' | 'INITIALIZING' | 'THROTTLED' | 'UNHEALTHY';

/** How the autoscaler adds workers: by queue wait (seconds) or by in-flight requests per worker. */
export type EndpointScaling = { type: 'QUEUE_DELAY'; queueDelay: number } | { type: 'REQUEST_COUNT'; requestCount: number };

/** `BaseContainerConfig` + `registry`: the container settings shared by templates and endpoints. */
export interface ContainerSettings {
  image?: string;
  args?: string;
  /** Container disk in GB. */
  disk?: number;
  env?: Record<string, string>;
  /** `port/protocol`, e.g. `8000/http`. */
  ports?: string[];
  /** Container registry credential id, for private images. */
  registry?: string | null;
}

/** `CreateTemplateRequest`. */
export interface TemplateSpec extends ContainerSettings {
  name: string;
  image: string;
  /** True for a template that serverless endpoints may use. Default false. */
  serverless?: boolean;
  public?: boolean;
  category?: TemplateCategory;
  /** Default true on RunPod, which then injects a generated `JUPYTER_PASSWORD`. */
  startJupyter?: boolean;
  /** Default true on RunPod, which then injects `PUBLIC_KEY`. */
  startSsh?: boolean;
  allowedCudaVersions?: string[];
  mounts?: { persistent?: { size: number; path: string } };
}

export interface RunPodTemplate {
  id: string;
  name: string;
  image: string;
  args: string;
  disk: number;
  env: Record<string, string>;
  ports: string[];
  registry: string | null;
  serverless: boolean;
  public: boolean;
  category?: TemplateCategory;
  startSsh: boolean;
  startJupyter: boolean;
  allowedCudaVersions: string[];
}

/** `CreateEndpointGpuConfig`: serverless pools (not GPU type ids), less the excluded GPU types. */
export interface EndpointGpuSpec {
  pools: string[];
  excludedTypes?: string[];
  /** GPUs per worker. Default 1. */
  count?: number;
  /** Exact `major.minor` versions; excludes `minCudaVersion` unless empty. */
  allowedCudaVersions?: string[];
  minCudaVersion?: string;
}

export interface EndpointWorkersSpec {
  min?: number;
  max?: number;
  /** Seconds before an idle worker scales down; refused with REQUEST_COUNT scaling on a QUEUE endpoint. */
  idleTimeout?: number;
}

/** `CreateEndpointRequest` for a GPU endpoint: `image` is required unless `templateId` gives one. */
export interface EndpointSpec extends ContainerSettings {
  name: string;
  type: EndpointType;
  scaling: EndpointScaling;
  templateId?: string;
  gpu?: EndpointGpuSpec;
  workers?: EndpointWorkersSpec;
  /** Default OFF. */
  flashboot?: FlashBoot;
  /** Per-request execution timeout in ms. Default 300000. */
  timeout?: number;
  dataCenterIds?: string[];
  networkVolumes?: string[];
}

/** `UpdateEndpointRequest`: only what is given changes. Sending `gpu.pools` without `excludedTypes` clears the exclusions. */
export interface EndpointPatch extends ContainerSettings {
  name?: string;
  templateId?: string;
  scaling?: EndpointScaling;
  gpu?: Partial<EndpointGpuSpec>;
  workers?: EndpointWorkersSpec;
  flashboot?: FlashBoot;
  timeout?: number;
  dataCenterIds?: string[];
  networkVolumes?: string[];
}

export interface ServerlessEndpoint {
  id: string;
  name: string;
  type?: EndpointType;
  /** RunPod's `Endpoint` schema does not return it; set only when an answer carries it. */
  templateId?: string;
  /** Queue endpoints: `run`, `runSync`, `status`, `stream`, `cancel`, `retry`, `purgeQueue`, `health`; load balancers: `base`, `health`. */
  requestUrls?: Record<string, string>;
  image?: string;
  env?: Record<string, string>;
  disk?: number;
  gpu?: { pools: string[]; excludedTypes?: string[]; count?: number; allowedCudaVersions: string[]; minCudaVersion: string | null } | null;
  workers: { min: number; max: number; idleTimeout?: number };
  scaling: EndpointScaling;
  dataCenterIds: string[];
  networkVolumes: string[];
  timeout: number;
  flashboot: FlashBoot;
  createdAt: string;
}

export interface EndpointWorker {
  id: string;
  status: WorkerStatus;
  isStale: boolean;
  gpuCount: number;
  version?: number | null;
  image?: string | null;
  uptimeSeconds?: number | null;
  gpuTypeId?: string | null;
  dataCenterId?: string | null;
  startedAt?: string | null;
}

/** `ListEndpointWorkersResponse`: counts by status (summing to `total`) and the workers themselves. */
export interface EndpointWorkerSummary {
  running: number;
  idle: number;
  initializing: number;
  throttled: number;
  unhealthy: number;
  total: number;
  workers: EndpointWorker[];
  endpointVersion?: number | null;
}

/** A GPU type of `GET /catalog/gpus`. */
export interface CatalogGpu {
  /** The GPU type id, e.g. `NVIDIA GeForce RTX 4090` (what `gpu.excludedTypes` takes). */
  id: string;
  displayName: string;
  /** The serverless pool (what `gpu.pools` takes); undefined for a type in no serverless pool. */
  pool?: string;
  memoryGb: number;
  /**
   * RunPod's serverless list price for one GPU of the type's pool. The spec's `price.serverless` is
   * already USD per GPU per hour (times `gpu.count` per worker), so it is passed on unchanged; undefined outside serverless pools.
   */
  serverlessPricePerHourUsd?: number;
  /** Serverless stock other than NONE; undefined when availability was not asked for or not reported. */
  available?: boolean;
  /** RunPod's availability level: NONE, LOW, MEDIUM or HIGH. */
  stockStatus?: string;
}
