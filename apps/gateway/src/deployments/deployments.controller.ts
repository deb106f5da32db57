import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public, RequiresPermission, type AuthenticatedRequest } from '../auth/auth.guard';
import { parseOrThrow } from '../http/zod-validation';
import { DeploymentFeeds } from './deployment-feeds';
import { gpusQuerySchema, listQuerySchema } from './deployment-request';
import { DeploymentsService } from './deployments.service';

const RUNPOD_KEY_HEADER = 'x-runpod-api-key';

/** The seed's deployer API: Hugging Face models to RunPod serverless endpoints running Switchyard workers. Errors in the seed's shape. */
@ApiTags('Deployments')
@ApiBearerAuth()
@Controller('v1/deployments')
export class DeploymentsController {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly feeds: DeploymentFeeds,
  ) {}

  @ApiOperation({ summary: 'Deploy a Hugging Face model to a RunPod serverless endpoint (202, then poll, stream or wait for the webhook)' })
  @RequiresPermission('write')
  @Post()
  @HttpCode(202)
  create(@Body() body: unknown, @Headers(RUNPOD_KEY_HEADER) runpodKey: string | undefined, @Req() request: AuthenticatedRequest) {
    return this.deployments.create(body, request.principal, runpodKey);
  }

  @ApiOperation({ summary: "The project's deployments, newest first" })
  @RequiresPermission('read')
  @Get()
  list(@Query() query: unknown, @Req() request: AuthenticatedRequest) {
    return this.deployments.list(request.principal, parseOrThrow(listQuerySchema, query, '').limit);
  }

  @ApiOperation({ summary: 'GPU pools that fit a VRAM need, cheapest first, with their prices' })
  @RequiresPermission('read')
  @Get('gpus')
  gpus(@Query() query: unknown, @Headers(RUNPOD_KEY_HEADER) runpodKey: string | undefined, @Req() request: AuthenticatedRequest) {
    const { min_vram_gb, gpu_tier } = parseOrThrow(gpusQuerySchema, query, '');
    return this.deployments.gpus(request.principal, runpodKey, min_vram_gb, gpu_tier);
  }

  @ApiOperation({ summary: "Set or remove (null) the project's default RunPod key: {runpod_api_key}; it is never answered" })
  @RequiresPermission('write')
  @Put('runpod-key')
  @HttpCode(204)
  async setRunPodKey(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    await this.deployments.setProjectRunPodKey(request.principal, body);
  }

  @ApiOperation({ summary: 'One deployment' })
  @RequiresPermission('read')
  @Get(':id')
  get(@Param('id') id: string, @Req() request: AuthenticatedRequest) {
    return this.deployments.get(id, request.principal);
  }

  @ApiOperation({ summary: 'Estimated cost: price per hour of a worker, the ceiling at max workers, and so far' })
  @RequiresPermission('read')
  @Get(':id/cost')
  cost(@Param('id') id: string, @Req() request: AuthenticatedRequest) {
    return this.deployments.cost(id, request.principal);
  }

  @ApiOperation({ summary: 'Server-sent events: each status change, until ready, failed or deleted' })
  @RequiresPermission('read')
  @Get(':id/stream')
  async stream(@Param('id') id: string, @Req() request: AuthenticatedRequest, @Res() reply: FastifyReply) {
    await this.feeds.send(reply, id, request.principal, 'status');
  }

  @ApiOperation({ summary: "Server-sent events: the deployment's log lines" })
  @RequiresPermission('read')
  @Get(':id/logs/stream')
  async logs(@Param('id') id: string, @Req() request: AuthenticatedRequest, @Res() reply: FastifyReply) {
    await this.feeds.send(reply, id, request.principal, 'log');
  }

  @ApiOperation({ summary: 'Delete: scales the endpoint to zero and deletes it (and its template); stops billing' })
  @RequiresPermission('write')
  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string, @Req() request: AuthenticatedRequest) {
    await this.deployments.delete(id, request.principal);
  }

  @ApiOperation({ summary: "A deployed worker's readiness callback, signed (Standard Webhooks) with its deployment's secret" })
  @Public()
  @Post(':id/ready')
  @HttpCode(204)
  async ready(@Param('id') id: string, @Headers() headers: Record<string, string>, @Body() body: unknown) {
    await this.deployments.workerReport(id, headers, typeof body === 'string' ? body : JSON.stringify(body ?? null));
  }
}
