import { z } from 'zod';
import { QUEUES } from '../queues';
import { defineQueueContract } from './queue-contract';

/**
 * The built-in `echo` endpoint: returns its input. A few optional fields make it a stand-in for a
 * real model in tests, demos and benchmarks: it can take time, report progress, stream chunks or
 * fail. `progress` values are reported back to back as the job starts (the status shows the last of
 * them, coalesced); `sleep_ms` is then spread over the `stream` chunks, each sent after its share.
 */
export const echoContract = defineQueueContract({
  queue: QUEUES.echo,
  description:
    'Returns its input; sleep_ms, progress, stream and fail make it behave like a slow, progress-reporting, streaming or failing model; repeat makes its output larger.',
  input: z
    .object({
      sleep_ms: z.number().int().min(0).max(600_000).optional(),
      progress: z.array(z.unknown()).max(10_000).optional(),
      stream: z.array(z.unknown()).max(1000).optional(),
      fail: z.string().max(1000).optional(),
      /** Also answer this many more copies of the input (`copies`), for outputs larger than a request may be. */
      repeat: z.number().int().min(1).max(32).optional(),
    })
    .catchall(z.unknown()),
  // With s3Config, an input's `file_base64` comes back as the URL of the uploaded file.
  fileOutputs: ['echo.file_base64'],
  output: z.object({ echo: z.record(z.string(), z.unknown()), copies: z.array(z.record(z.string(), z.unknown())).optional() }),
  // Uses no device.
  gpuConcurrency: 8,
});
