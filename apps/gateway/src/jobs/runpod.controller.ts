import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RateBucketOf, RequiresPermission, type AuthenticatedRequest } from '../auth/auth.guard';
import { acceptsEventStream, lastEventSeq, sendServerSentEvents } from '../http/server-sent-events';
import { parseOrThrow } from '../http/zod-validation';
import { JobEventFeeds } from './job-event-feed';
import { JobIdPipe } from './job-id';
import { JobsService } from './jobs.service';
import { PublicEndpointPipe } from './public-endpoint';
import type { OutputDelivery } from '../status/job-outputs';
import { outputQuerySchema, purgeQuerySchema, waitQuerySchema } from './run-request';

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
@Controller('v2/:endpointId')
export class RunpodController {
  constructor(
    private readonly jobs: JobsService,
    private readonly feeds: JobEventFeeds,
  ) {}

  @ApiOperation({ summary: 'Queue a job; answers {id, status: IN_QUEUE}. Body up to 10 MB.' })
  @ApiBody(runBody)
  @RateBucketOf('run')
  @RequiresPermission('write')
  @Post('run')
  @HttpCode(200)
  run(@Param('endpointId', PublicEndpointPipe) endpointId: string, @Body() body: unknown, @Req() request: AuthenticatedRequest) {
    return this.jobs.submit(endpointId, body, request.principal, 'run');
  }

  @ApiOperation({ summary: 'Queue a job and wait up to ?wait= ms (1000–300000, default 90000) for its result. Body up to 20 MB.' })
  @ApiBody(runBody)
  @ApiQuery({ name: 'wait', required: false })
  @ApiQuery(outputQuery)
  @RateBucketOf('runsync')
  @RequiresPermission('write')
  @Post('runsync')
  @HttpCode(200)
  runsync(@Param('endpointId', PublicEndpointPipe) endpointId: string, @Body() body: unknown, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { wait } = parseOrThrow(waitQuerySchema, query, '');
    return this.jobs.runSync(endpointId, body, request.principal, wait, { delivery: outputDelivery(query, request) });
  }

  @ApiOperation({
    summary: "A job's status: {id, status, delayTime, executionTime, output?, error?}",
    description: "While the job is IN_PROGRESS, output is the handler's latest progress value (RunPod's progress updates), if it reported one.",
  })
  @ApiQuery(outputQuery)
  @RateBucketOf('status')
  @RequiresPermission('read')
  @Get('status/:id')
  status(
    @Param('endpointId', PublicEndpointPipe) endpointId: string,
    @Param('id', JobIdPipe) id: string,
    @Query() query: unknown,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.jobs.status(endpointId, id, request.principal, outputDelivery(query, request));
  }

  @ApiOperation({ summary: 'Like status, but waits up to ?wait= ms for the job to end' })
  @ApiQuery({ name: 'wait', required: false })
  @ApiQuery(outputQuery)
  @RateBucketOf('status')
  @RequiresPermission('read')
  @Get('status-sync/:id')
  statusSync(
    @Param('endpointId', PublicEndpointPipe) endpointId: string,
    @Param('id', JobIdPipe) id: string,
    @Query() query: unknown,
    @Req() request: AuthenticatedRequest,
  ) {
    const { wait } = parseOrThrow(waitQuerySchema, query, '');
    return this.jobs.waitForStatus(endpointId, id, wait, request.principal, outputDelivery(query, request));
  }

  @ApiOperation({
    summary:
      'Stream chunks produced since the last call: {status, stream: [{output}]}; or, with Accept: text/event-stream, follow the job as Server-Sent Events',
    description:
      'As JSON, answers the chunks produced since the last call and forgets them (RunPod). As Server-Sent Events, sends what the job ' +
      'produced so far and then as it happens, until it ends: `progress` events ({output: value}), `chunk` events ({output: chunk}, one per ' +
      'stream chunk, not taken from the JSON view), `status` events (the status object: first the current one, then each change; the ' +
      "connection closes after the final one) and `: ping` comments every 15 s. Each event's id is the job's event sequence number: " +
      'a client reconnecting with Last-Event-ID gets only what came after it.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiHeader({ name: 'Accept', required: false, description: 'text/event-stream for Server-Sent Events' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'With SSE: the id of the last event seen; only later events are sent' })
  @ApiResponse({ status: 200, description: 'JSON {status, stream: [{output}]}, or an event stream until the job ends' })
  @RateBucketOf('status')
  @RequiresPermission('read')
  @Get('stream/:id')
  async stream(
    @Param('endpointId', PublicEndpointPipe) endpointId: string,
    @Param('id', JobIdPipe) id: string,
    @Headers('accept') accept: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!acceptsEventStream(accept)) {
      reply.send(await this.jobs.stream(endpointId, id, request.principal));
      return;
    }
    // Unknown jobs and endpoints fail here, as JSON errors, before the response becomes a stream.
    const feed = await this.feeds.follow(endpointId, id, request.principal, lastEventSeq(lastEventId));
    await sendServerSentEvents(reply, feed);
  }

  @ApiOperation({ summary: 'Cancel a queued or running job' })
  @RateBucketOf('cancel')
  @RequiresPermission('write')
  @Post('cancel/:id')
  @HttpCode(200)
  cancel(@Param('endpointId', PublicEndpointPipe) endpointId: string, @Param('id', JobIdPipe) id: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.cancel(endpointId, id, request.principal);
  }

  @ApiOperation({ summary: 'Requeue a FAILED or TIMED_OUT job under the same id' })
  @RateBucketOf('run')
  @RequiresPermission('write')
  @Post('retry/:id')
  @HttpCode(200)
  retry(@Param('endpointId', PublicEndpointPipe) endpointId: string, @Param('id', JobIdPipe) id: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.retry(endpointId, id, request.principal);
  }

  @ApiOperation({ summary: "Remove the caller's project's queued (not running) jobs of the endpoint; admin keys may add ?allProjects=true" })
  @ApiQuery({ name: 'allProjects', required: false })
  @RateBucketOf('purge-queue')
  @RequiresPermission('write')
  @Post('purge-queue')
  @HttpCode(200)
  purgeQueue(@Param('endpointId', PublicEndpointPipe) endpointId: string, @Query() query: unknown, @Req() request: AuthenticatedRequest) {
    const { allProjects } = parseOrThrow(purgeQuerySchema, query, '');
    return this.jobs.purgeQueue(endpointId, request.principal, { allProjects });
  }

  @ApiOperation({ summary: "Job counts of the caller's project, and the endpoint's workers" })
  @RequiresPermission('read')
  @Get('health')
  health(@Param('endpointId', PublicEndpointPipe) endpointId: string, @Req() request: AuthenticatedRequest) {
    return this.jobs.health(endpointId, request.principal);
  }
}
