import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { deploymentChunkSchema, QUEUES } from '@switchyard/shared';
import type { Principal } from '../auth/principal';
import { DeploymentRepository } from '../database/deployment.repository';
import { ApiError } from '../http/api-errors';
import { sendServerSentEvents } from '../http/server-sent-events';
import { JobEventFeeds, JobFeed } from '../jobs/job-event-feed';

/**
 * A deployment's SSE streams, read from its deploy job's stream chunks (and, once it is being
 * deleted, its delete job's): `status` events (the status, phase durations and what was learnt) or
 * `log` events, from the first one on, ending with the job.
 */
@Injectable()
export class DeploymentFeeds {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly feeds: JobEventFeeds,
  ) {}

  async send(reply: FastifyReply, id: string, principal: Principal, kind: 'status' | 'log'): Promise<void> {
    const deployment = await this.deployments.find(principal.projectId, id);
    if (!deployment) throw new ApiError(404, 'DEPLOYMENT_NOT_FOUND', `Deployment not found: ${id}`, 'deployment_id');
    const source = await this.feeds.follow(QUEUES.deployer, deployment.deleteJobId ?? deployment.jobId, principal);
    const feed = new JobFeed();
    feed.onEnd(() => source.close());
    void (async () => {
      for (let item = await source.next(); item; item = await source.next()) {
        if (item.type === 'ping') feed.push(item);
        if (item.type !== 'chunk') continue;
        const chunk = deploymentChunkSchema.safeParse(item.data.output);
        if (!chunk.success || chunk.data.kind !== kind) continue;
        const { kind: _kind, ...data } = chunk.data;
        feed.push({ type: 'derived', name: kind, seq: item.seq, data: { deployment_id: id, ...data } });
      }
      feed.end();
    })();
    await sendServerSentEvents(reply, feed);
  }
}
