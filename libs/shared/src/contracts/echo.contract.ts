import { z } from 'zod';
import { defineQueueContract } from './queue-contract';

/**
 * The built-in `echo` endpoint: returns its input. A few optional fields make it a stand-in for a
 * real model in tests, demos and benchmarks: it can take time, stream chunks or fail.
 */
export const echoContract = defineQueueContract({
  queue: 'echo',
  description: 'Returns its input; sleep_ms, stream and fail make it behave like a slow, streaming or failing model.',
  input: z
    .object({
      sleep_ms: z.number().int().min(0).max(600_000).optional(),
      stream: z.array(z.unknown()).max(1000).optional(),
      fail: z.string().max(1000).optional(),
    })
    .catchall(z.unknown()),
  output: z.object({ echo: z.record(z.string(), z.unknown()) }),
  // Uses no device.
  gpuConcurrency: 8,
});
