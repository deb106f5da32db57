import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, RateBucketOf, type AuthenticatedRequest } from '../auth/auth.guard';
import { parseOrThrow } from '../http/zod-validation';
import { JobIdPipe } from './job-id';
import { JobsService } from './jobs.service';
import type { OutputDelivery } from './job-outputs';
import { outputQuerySchema, waitQuerySchema } from './run-request';

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

const outputQuery = {
  name: 'output',
  required: false,
  enum: ['inline', 'url'],
  description: 'url: an output held as a blob (over BLOB_THRESHOLD_BYTES) is answered as outputUrl, a short-lived signed link, instead of inline',
};

function outputDelivery(query: unknown, request: AuthenticatedRequest): OutputDelivery {
  const { output } = parseOrThrow(outputQuerySchema, query, '');
  return output === 'url' ? { as: 'url', baseUrl: `${request.protocol}://${request.host}` } : { as: 'inline' };
}

/** RunPod's serverless job API under `/v2/{endpointId}`: any RunPod client works by changing its base URL. */
@ApiTags('RunPod-compatible jobs')
@ApiBearerAuth()
@ApiParam({ name: 'endpointId', description: 'Endpoint id, e.g. echo' })
@UseGuards(AuthGuard)
@Controller('v2/:endpointId')
export class RunpodController {
  constructor(private readonly jobs: JobsService) {}

  @ApiOperation({ summary: 'Queue a job; answers {id, status: IN_QUEUE}. Body up to 10 MB.' })
  @ApiBody(runBody)
  @RateBucketOf('run')
  @Post('run')
  @HttpCode(200)
  run(@Param('endpointId') endpointId: string, @Body() body: unknown, @Req() request: AuthenticatedRequest) {
    return this.jobs.submit(endpointId, body, request.principal, 'run');
  }

  @ApiOperation({ summary: 'Queue a job and wait up to ?wait= ms (1000–300000, default 90000) for its result. Body up to 20 MB.' })
  @ApiBody(runBody)
  @ApiQuery({ name: 'wait', required: false })
  @ApiQuery(outputQuery)
  @RateBucketOf('runsync')
  @Post('runsync')
  @HttpCode(200)
  runsync(@Param('endpointId') endpointId: string, @Body() body: unknown, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { wait } = parseOrThrow(waitQuerySchema, query, '');
    return this.jobs.runSync(endpointId, body, request.principal, wait, outputDelivery(query, request));
  }

  @ApiOperation({ summary: "A job's status: {id, status, delayTime, executionTime, output?, error?}" })
  @ApiQuery(outputQuery)
  @RateBucketOf('status')
  @Get('status/:id')
  status(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    return this.jobs.status(endpointId, id, outputDelivery(query, request));
  }

  @ApiOperation({ summary: 'Like status, but waits up to ?wait= ms for the job to end' })
  @ApiQuery({ name: 'wait', required: false })
  @ApiQuery(outputQuery)
  @RateBucketOf('status')
  @Get('status-sync/:id')
  statusSync(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { wait } = parseOrThrow(waitQuerySchema, query, '');
    return this.jobs.waitForStatus(endpointId, id, wait, outputDelivery(query, request));
  }

  @ApiOperation({ summary: 'Stream chunks produced since the last call: {status, stream: [{output}]}' })
  @RateBucketOf('status')
  @Get('stream/:id')
  stream(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string) {
    return this.jobs.stream(endpointId, id);
  }

  @ApiOperation({ summary: 'Cancel a queued or running job' })
  @RateBucketOf('cancel')
  @Post('cancel/:id')
  @HttpCode(200)
  cancel(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string) {
    return this.jobs.cancel(endpointId, id);
  }

  @ApiOperation({ summary: 'Requeue a FAILED or TIMED_OUT job under the same id' })
  @RateBucketOf('run')
  @Post('retry/:id')
  @HttpCode(200)
  retry(@Param('endpointId') endpointId: string, @Param('id', JobIdPipe) id: string) {
    return this.jobs.retry(endpointId, id);
  }

  @ApiOperation({ summary: 'Remove every queued (not running) job of the endpoint' })
  @RateBucketOf('purge-queue')
  @Post('purge-queue')
  @HttpCode(200)
  purgeQueue(@Param('endpointId') endpointId: string) {
    return this.jobs.purgeQueue(endpointId);
  }

  @ApiOperation({ summary: 'Job counts and workers of the endpoint' })
  @Get('health')
  health(@Param('endpointId') endpointId: string) {
    return this.jobs.health(endpointId);
  }
}
