import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RateBucketOf, RequiresPermission, type AuthenticatedRequest } from '../auth/auth.guard';
import { parseOrThrow } from '../http/zod-validation';
import { JobIdPipe } from './job-id';
import { JobsService } from './jobs.service';
import { purgeQuerySchema, waitQuerySchema } from './run-request';

const runBody = {
  schema: {
    type: 'object',
    required: ['input'],
    properties: {
      input: { type: 'object', description: "The endpoint's input, validated against its contract" },
      webhook: { type: 'string', description: 'URL that receives the final status, signed per Standard Webhooks' },
      policy: {
        type: 'object',
        properties: { executionTimeout: { type: 'integer' }, ttl: { type: 'integer' }, lowPriority: { type: 'boolean' } },
      },
    },
  },
};

/** RunPod's serverless job API under `/v2/{endpointId}`: any RunPod client works by changing its base URL. */
@ApiTags('RunPod-compatible jobs')
@ApiBearerAuth()
@ApiParam({ name: 'endpointId', description: 'Endpoint id, e.g. echo' })
@Controller('v2/:endpointId')
export class RunpodController {
  constructor(private readonly jobs: JobsService) {}

  @ApiOperation({ summary: 'Queue a job; answers {id, status: IN_QUEUE}. Body up to 10 MB.' })
  @ApiBody(runBody)
  @RateBucketOf('run')
  @RequiresPermission('write')
  @Post('run')
  @HttpCode(200)
  run(@Param('endpointId') endpointId: string, @Body() body: unknown, @Req() request: AuthenticatedRequest) {
    return this.jobs.submit(endpointId, body, request.principal, 'run');
  }

  @ApiOperation({ summary: 'Queue a job and wait up to ?wait= ms (1000–300000, default 90000) for its result. Body up to 20 MB.' })
  @ApiBody(runBody)
  @ApiQuery({ name: 'wait', required: false })
  @RateBucketOf('runsync')
  @RequiresPermission('write')
  @Post('runsync')
  @HttpCode(200)
  runsync(@Param('endpointId') endpointId: string, @Body() body: unknown, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { wait } = parseOrThrow(waitQuerySchema, query, '');
    return this.jobs.runSync(endpointId, body, request.principal, wait);
  }

  @ApiOperation({ summary: "A job's status: {id, status, delayTime, executionTime, output?, error?}" })
  @RateBucketOf('status')
  @RequiresPermission('read')
  @Get('status/:id')
  status(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.status(endpointId, id, request.principal);
  }

  @ApiOperation({ summary: 'Like status, but waits up to ?wait= ms for the job to end' })
  @ApiQuery({ name: 'wait', required: false })
  @RateBucketOf('status')
  @RequiresPermission('read')
  @Get('status-sync/:id')
  statusSync(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { wait } = parseOrThrow(waitQuerySchema, query, '');
    return this.jobs.waitForStatus(endpointId, id, wait, request.principal);
  }

  @ApiOperation({ summary: 'Stream chunks produced since the last call: {status, stream: [{output}]}' })
  @RateBucketOf('status')
  @RequiresPermission('read')
  @Get('stream/:id')
  stream(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.stream(endpointId, id, request.principal);
  }

  @ApiOperation({ summary: 'Cancel a queued or running job' })
  @RateBucketOf('cancel')
  @RequiresPermission('write')
  @Post('cancel/:id')
  @HttpCode(200)
  cancel(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.cancel(endpointId, id, request.principal);
  }

  @ApiOperation({ summary: 'Requeue a FAILED or TIMED_OUT job under the same id' })
  @RateBucketOf('run')
  @RequiresPermission('write')
  @Post('retry/:id')
  @HttpCode(200)
  retry(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.retry(endpointId, id, request.principal);
  }

  @ApiOperation({ summary: "Remove the caller's project's queued (not running) jobs of the endpoint; admin keys may add ?allProjects=true" })
  @ApiQuery({ name: 'allProjects', required: false })
  @RateBucketOf('purge-queue')
  @RequiresPermission('write')
  @Post('purge-queue')
  @HttpCode(200)
  purgeQueue(@Param('endpointId') endpointId: string, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { allProjects } = parseOrThrow(purgeQuerySchema, query, '');
    return this.jobs.purgeQueue(endpointId, request.principal, { allProjects });
  }

  @ApiOperation({ summary: "Job counts of the caller's project, and the endpoint's workers" })
  @RequiresPermission('read')
  @Get('health')
  health(@Param('endpointId') endpointId: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.health(endpointId, request.principal);
  }
}
