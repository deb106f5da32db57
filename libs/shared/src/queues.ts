/**
 * The name of every queue, in one place: the endpoint queues, each with its contract (in
 * `contracts/`) and the built-in endpoint of the same id, and the gateway's own queues.
 */
export const QUEUES = {
  echo: 'echo',
  embedder: 'embedder',
  spai: 'spai',
  textDetector: 'text-detector',
  generator: 'generator',
  upscaler: 'upscaler',
  /** Deployments to RunPod serverless, queued by `/v1/deployments` only. */
  deployer: 'deployer',
  /** Webhook deliveries, one job per delivery, worked by the gateway's notifier. */
  webhooks: 'webhooks',
  /** The gateway's periodic work: the retention sweep. */
  maintenance: 'maintenance',
} as const;

const REMOTE_LANE_SUFFIX = '.remote';
const DEPLOYMENT_BACKEND_PREFIX = 'deployment:';

/**
 * The queue of an endpoint's jobs routed to its remote backend, worked by the gateway's relay. It
 * lives under its endpoint queue's hash tag (see {@link homeQueueOf}), beside the jobs' state.
 */
export function remoteLaneOf(queue: string): string {
  return `${queue}${REMOTE_LANE_SUFFIX}`;
}

/** The backend a job records when the router sends it to a deployment (`/v1/deployments`): `deployment:<id>`. */
export function deploymentBackendName(deploymentId: string): string {
  return `${DEPLOYMENT_BACKEND_PREFIX}${deploymentId}`;
}

/** The deployment a recorded backend names, if it names one. */
export function deploymentOfBackend(backend: string | undefined): string | undefined {
  return backend?.startsWith(DEPLOYMENT_BACKEND_PREFIX) ? backend.slice(DEPLOYMENT_BACKEND_PREFIX.length) : undefined;
}

/** The lane of an endpoint's jobs routed to one of its deployments: one per deployment, worked by the relay with that deployment's capacity. */
export function deploymentLaneOf(queue: string, deploymentId: string): string {
  return `${remoteLaneOf(queue)}.${deploymentId}`;
}

/** The BullMQ queue a job waits in: its endpoint's queue, or the lane of the remote backend or deployment it was routed to. */
export function bullQueueOf(job: { queue: string; backend?: string }): string {
  const deploymentId = deploymentOfBackend(job.backend);
  if (deploymentId) return deploymentLaneOf(job.queue, deploymentId);
  return job.backend === 'remote' ? remoteLaneOf(job.queue) : job.queue;
}

/** The endpoint queue whose keys a BullMQ queue lives under: itself, or the queue a lane serves (queue names have no dots). */
export function homeQueueOf(bullQueue: string): string {
  return bullQueue.split('.')[0];
}
