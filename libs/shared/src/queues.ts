/**
 * The name of every queue, in one place: the endpoint queues, each with its contract (in
 * `contracts/`) and the built-in endpoint of the same id, and the gateway's own queues.
 */
export const QUEUES = {
  echo: 'echo',
  embedder: 'embedder',
  spai: 'spai',
  textDetector: 'text-detector',
  /** Webhook deliveries, one job per delivery, worked by the gateway's notifier. */
  webhooks: 'webhooks',
  /** The gateway's periodic work: the retention sweep. */
  maintenance: 'maintenance',
} as const;
