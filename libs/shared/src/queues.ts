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
  /** Webhook deliveries, one job per delivery, worked by the gateway's notifier. */
  webhooks: 'webhooks',
  /** The gateway's periodic work: the retention sweep. */
  maintenance: 'maintenance',
} as const;

const REMOTE_LANE_SUFFIX = '.remote';

/**
 * The queue of an endpoint's jobs routed to its remote backend, worked by the gateway's relay. It
 * lives under its endpoint queue's hash tag (see {@link homeQueueOf}), beside the jobs' state.
 */
export function remoteLaneOf(queue: string): string {
  return `${queue}${REMOTE_LANE_SUFFIX}`;
}

/** The BullMQ queue a job waits in: its endpoint's queue, or that queue's remote lane when routed to the remote backend. */
export function bullQueueOf(job: { queue: string; backend?: string }): string {
  return job.backend === 'remote' ? remoteLaneOf(job.queue) : job.queue;
}

/** The endpoint queue whose keys a BullMQ queue lives under: itself, or the queue a remote lane serves. */
export function homeQueueOf(bullQueue: string): string {
  return bullQueue.endsWith(REMOTE_LANE_SUFFIX) ? bullQueue.slice(0, -REMOTE_LANE_SUFFIX.length) : bullQueue;
}
