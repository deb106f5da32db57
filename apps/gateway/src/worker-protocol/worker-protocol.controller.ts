import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { WorkerKeyOnly } from '../auth/auth.guard';
import { ExternalWorkers } from './external-workers.service';
import { parseWorkerPost, streamChunkOf, workerReportOf } from './worker-report';

/** RunPod's largest batch take, and so this one's. */
const MAX_BATCH_SIZE = 100;

function batchSizeOf(value: string | undefined): number {
  const size = Number(value ?? 1);
  return Number.isInteger(size) && size > 0 ? Math.min(size, MAX_BATCH_SIZE) : 1;
}

/** Ids in a ping's `job_id` (comma-separated; absent when the worker runs nothing). */
function jobIdsOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
}

/** Aborts when the connection closes before the answer went out: the worker is gone (killed mid-poll). */
function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}

/**
 * RunPod's serverless worker protocol (docs/runpod-workers.md): its URLs are what RUNPOD_WEBHOOK_*
 * name on a worker, with `$ID`/`$RUNPOD_POD_ID` filled in by the SDK. Worker keys only.
 */
@ApiTags('RunPod worker protocol')
@ApiParam({ name: 'endpointId', description: 'An endpoint named in WORKER_PROTOCOL_ENDPOINTS' })
@ApiParam({ name: 'workerId', description: "The worker's id (RUNPOD_POD_ID)" })
@WorkerKeyOnly()
@Controller('v2/workers/:endpointId')
export class WorkerProtocolController {
  constructor(private readonly workers: ExternalWorkers) {}

  @ApiOperation({ summary: 'Take a job: {id, input}, or 204 when none came within WORKER_PROTOCOL_TAKE_WAIT_MS' })
  @Get('job-take/:workerId')
  async take(
    @Param('endpointId') endpointId: string,
    @Param('workerId') workerId: string,
    @Query('job_in_progress') jobInProgress: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const [job] = await this.workers.take(endpointId, workerId, 1, jobInProgress === '1', clientGone(reply));
    if (!job) reply.status(204);
    return job;
  }

  @ApiOperation({ summary: 'Take up to batch_size jobs: a list, or 204 when none came' })
  @Get('job-take-batch/:workerId')
  async takeBatch(
    @Param('endpointId') endpointId: string,
    @Param('workerId') workerId: string,
    @Query('batch_size') batchSize: string | undefined,
    @Query('job_in_progress') jobInProgress: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const jobs = await this.workers.take(endpointId, workerId, batchSizeOf(batchSize), jobInProgress === '1', clientGone(reply));
    if (jobs.length === 0) reply.status(204);
    return jobs.length > 0 ? jobs : undefined;
  }

  @ApiOperation({ summary: 'Post a job\'s {output}, {error} or progress ({status: "IN_PROGRESS", output}); JSON text under any content type' })
  @Post('job-done/:workerId/:jobId')
  @HttpCode(200)
  async done(@Param('endpointId') endpointId: string, @Param('workerId') workerId: string, @Param('jobId') jobId: string, @Body() body: unknown) {
    await this.workers.report(endpointId, workerId, jobId, workerReportOf(parseWorkerPost(body)));
    return { ok: true };
  }

  @ApiOperation({ summary: 'Post one stream chunk of a job: {output}' })
  @Post('job-stream/:workerId/:jobId')
  @HttpCode(200)
  async stream(@Param('endpointId') endpointId: string, @Param('workerId') workerId: string, @Param('jobId') jobId: string, @Body() body: unknown) {
    await this.workers.appendChunk(endpointId, workerId, jobId, streamChunkOf(parseWorkerPost(body)));
    return { ok: true };
  }

  @ApiOperation({ summary: "A worker's heartbeat, naming its jobs in job_id: renews their locks" })
  @Get('ping/:workerId')
  async ping(@Param('endpointId') endpointId: string, @Param('workerId') workerId: string, @Query('job_id') jobIds: string | undefined) {
    await this.workers.ping(endpointId, workerId, jobIdsOf(jobIds));
    return { ok: true };
  }

  @ApiOperation({ summary: 'The jobs the platform ended under this worker (cancelled, timed out): {jobsToStop}, or 204' })
  @Get('job-stop/:workerId')
  async jobsToStop(@Param('endpointId') endpointId: string, @Param('workerId') workerId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const jobsToStop = await this.workers.jobsToStop(endpointId, workerId);
    if (jobsToStop.length === 0) reply.status(204);
    return jobsToStop.length > 0 ? { jobsToStop } : undefined;
  }
}
