import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_PATH = '/dashboard';

export type DashboardVerdict = 'allowed' | 'forbidden' | 'unauthorized';

/**
 * Mounts the BullMQ dashboard. Browsers can't send bearer headers, so it also accepts HTTP Basic
 * with the API key as password; every request is checked by `authorize` (admin keys only).
 */
export async function mountQueueDashboard(
  fastify: FastifyInstance,
  queues: Queue[],
  authorize: (authorization: string | undefined, clientAddress: string) => Promise<DashboardVerdict>,
): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  await fastify.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const verdict = await authorize(request.headers.authorization, request.ip);
        if (verdict === 'allowed') return;
        if (verdict === 'forbidden') {
          await reply.status(403).send({ error: 'The dashboard needs an admin key', code: 'forbidden', field: 'authorization' });
          return;
        }
        await reply
          .status(401)
          .header('www-authenticate', 'Basic realm="Switchyard dashboard"')
          .send({ error: 'The dashboard needs an API key (Bearer, or Basic with the key as password)', code: 'unauthorized', field: 'authorization' });
      });
      await scope.register(serverAdapter.registerPlugin() as never);
    },
    { prefix: DASHBOARD_PATH },
  );
}
