import { LoadSheddingError } from '../http/api-errors';

/** A worker asked for more jobs than it may hold at once (WORKER_PROTOCOL_ENDPOINTS); RunPod's SDK backs off on the 429. */
export class WorkerAtCapacityError extends LoadSheddingError {
  constructor(endpointId: string, workerId: string, jobsPerWorker: number) {
    super(429, 'worker_at_capacity', `Worker ${workerId} already holds ${jobsPerWorker} jobs of endpoint "${endpointId}", as many as one worker may`, 5);
  }
}

/** A worker sent a take while one of its takes was still being answered. */
export class ConcurrentTakeError extends LoadSheddingError {
  constructor(endpointId: string, workerId: string) {
    super(429, 'concurrent_take', `Worker ${workerId} already has a take of endpoint "${endpointId}" under way: one take at a time per worker`, 1);
  }
}

/** A worker new to an endpoint that already has as many external workers as WORKER_PROTOCOL_MAX_WORKERS allows. */
export class TooManyWorkersError extends LoadSheddingError {
  constructor(endpointId: string, maxWorkers: number) {
    super(429, 'too_many_workers', `Endpoint "${endpointId}" already has ${maxWorkers} external workers, as many as it takes (WORKER_PROTOCOL_MAX_WORKERS)`, 5);
  }
}
