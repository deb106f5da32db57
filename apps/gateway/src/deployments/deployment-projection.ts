import { Injectable } from '@nestjs/common';
import { deploymentChunkSchema, QUEUES, type JobEvent } from '@switchyard/shared';
import { DeploymentRepository } from '../database/deployment.repository';

/** How a deploy job that did not complete reads on its deployment. */
function failureOf(event: JobEvent): string {
  if (event.type === 'timed_out') return 'The deployment ran past its time limit';
  if (event.type === 'cancelled') return 'The deployment was cancelled';
  return event.view.error ?? 'The deployment failed';
}

/**
 * Keeps each deployment's row up to date from its deploy and delete jobs' events, as the recorder
 * records them: the deployer's status chunks (status, phases, what it created) and how the jobs ended.
 */
@Injectable()
export class DeploymentProjection {
  constructor(private readonly deployments: DeploymentRepository) {}

  async apply(events: readonly JobEvent[]): Promise<void> {
    for (const event of events) {
      if (event.view.queue !== QUEUES.deployer) continue;
      if (event.type === 'stream' && event.payload) {
        const chunk = deploymentChunkSchema.safeParse(JSON.parse(event.payload));
        if (chunk.success && chunk.data.kind === 'status') {
          await this.deployments.recordProgress(event.jobId, chunk.data.status, chunk.data.phase_durations, chunk.data.facts);
        }
      } else if (event.type === 'failed' || event.type === 'timed_out' || event.type === 'cancelled') {
        await this.deployments.recordFailure(event.jobId, failureOf(event));
      }
    }
  }
}
