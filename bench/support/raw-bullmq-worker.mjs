// The baseline's consumer: a bare BullMQ worker that returns its job's data, in its own process
// like Switchyard's workers.
import { Worker } from 'bullmq';

const [queueName, prefix, concurrency] = process.argv.slice(2);
const worker = new Worker(queueName, async (job) => ({ echo: job.data }), {
  connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null },
  prefix,
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
process.send?.('ready');
process.on('SIGTERM', async () => {
  await worker.close();
  process.exit(0);
});
