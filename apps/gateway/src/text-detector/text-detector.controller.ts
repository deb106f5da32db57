import { createReadStream } from 'node:fs';
import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BACKEND_NAMES, describeRefusal, modelBackends } from '@switchyard/routing';
import { textDetectorContract } from '@switchyard/shared';
import { Public, RateBucketOf, RequiresPermission, type AuthenticatedRequest } from '../auth/auth.guard';
import { NotFoundError } from '../http/api-errors';
import { BackendRouter } from '../routing/backend-router';
import { CROSS_ORIGIN_ISOLATION_HEADERS, TextDetectorPage } from '../web/text-detector-page';
import { TextDetectorStats } from './text-detector-stats';
import { modelFileUrl, TEXT_DETECTOR_ENDPOINT, TextDetectorService } from './text-detector.service';
import { TextModelCatalog } from './text-model-catalog';

/** Whether an Accept header asks for HTML before JSON (a browser's does; an API client's does not). */
function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html >= 0 && (json < 0 || html < json);
}

/** The files of a model a browser may fetch besides its graph, by the names Hugging Face gives them. */
const CLIENT_FILES = { 'tokenizer.json': 'tokenizer', 'tokenizer_config.json': 'tokenizerConfig', 'config.json': 'config' } as const;

/**
 * The seed's text-detector API (`GET /`, `/health`, `/models`, `/backends`, `/models/{id}/info`,
 * `/models/{id}/download`, `/stats`, `POST /predict`, `/batch-predict`), mounted at
 * /text-detector, so a seed client works by changing its base URL (and sending its key).
 */
@ApiTags('Text AI-detection')
@Controller('text-detector')
export class TextDetectorController {
  constructor(
    private readonly detector: TextDetectorService,
    private readonly catalog: TextModelCatalog,
    private readonly router: BackendRouter,
    private readonly stats: TextDetectorStats,
    private readonly page: TextDetectorPage,
  ) {}

  /** The seed's API description; a browser gets the page that uses the API instead. */
  @Public()
  @Get()
  home(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    if (prefersHtml(request.headers.accept)) this.page.sendPage(reply, request.headers['if-none-match']);
    else reply.send(this.info());
  }

  private info() {
    return {
      name: 'Switchyard text AI-detection',
      description: 'The deepfake text detector API: each request is routed to the local queue, a remote endpoint, or the browser.',
      default_model: this.catalog.defaultModel,
      endpoints: [
        'GET /health',
        'GET /models',
        'GET /backends',
        'GET /models/{id}/info',
        'GET /models/{id}/download',
        'GET /stats',
        'POST /predict',
        'POST /batch-predict',
      ],
      jobs: `/v2/${TEXT_DETECTOR_ENDPOINT}`,
    };
  }

  @Public()
  @Get('health')
  async health() {
    const model = this.router.model(textDetectorContract, this.catalog.defaultModel)!;
    const facts = await this.router.facts(textDetectorContract, model, true);
    const status = (name: (typeof BACKEND_NAMES)[number]) => {
      const availability = facts[name];
      if (!availability) return { status: 'not_configured' };
      return availability.available ? { status: 'healthy' } : { status: 'unavailable', reason: describeRefusal(availability.reason) };
    };
    const remote = await this.router.describeRemote(TEXT_DETECTOR_ENDPOINT);
    const backends = { local: status('local'), remote: { ...status('remote'), ...(remote ? { details: remote } : {}) }, client_side: status('client') };
    return {
      status: Object.values(backends).some((backend) => backend.status === 'healthy') ? 'healthy' : 'unhealthy',
      backends,
      available_models: this.catalog.ids,
      default_model: this.catalog.defaultModel,
    };
  }

  @Public()
  @Get('models')
  models() {
    return {
      configured_models: Object.fromEntries(this.catalog.ids.map((id) => [id, this.describeModel(id)])),
      default_model: this.catalog.defaultModel,
    };
  }

  @Public()
  @Get('backends')
  backends() {
    const model = this.router.model(textDetectorContract, this.catalog.defaultModel)!;
    return { backends: BACKEND_NAMES, default_backend: model.preferred, default_model: this.catalog.defaultModel };
  }

  @Public()
  @Get('stats')
  statistics() {
    return this.stats.snapshot();
  }

  @Public()
  @Get('models/:id/info')
  modelInfo(@Param('id') id: string) {
    return this.describeModel(this.detector.modelId(id));
  }

  /** The model's graph, for the browser client. */
  @Public()
  @Get('models/:id/download')
  download(@Param('id') id: string, @Res() reply: FastifyReply): void {
    const spec = this.catalog.spec(this.detector.modelId(id));
    if (!spec) throw new NotFoundError(`The files of model "${id}" on this gateway`, 'id');
    this.sendFile(reply, spec.files.onnx.path, spec.files.onnx.bytes, 'application/octet-stream', `${id.split('/').pop()}.onnx`);
  }

  /** The model's tokenizer and configuration files, for the browser client. */
  @Public()
  @Get('models/:id/files/:name')
  file(@Param('id') id: string, @Param('name') name: string, @Res() reply: FastifyReply): void {
    const spec = this.catalog.spec(this.detector.modelId(id));
    const key = Object.hasOwn(CLIENT_FILES, name) ? CLIENT_FILES[name as keyof typeof CLIENT_FILES] : undefined;
    if (!spec || !key) throw new NotFoundError(`File "${name}" of model "${id}"`, 'name');
    this.sendFile(reply, spec.files[key].path, spec.files[key].bytes, 'application/json; charset=utf-8');
  }

  @ApiOperation({ summary: 'Is this text machine-written? The seed’s /predict: {text, model_id?, prefer_backend?}' })
  @ApiBearerAuth()
  @RateBucketOf('runsync')
  @RequiresPermission('write', { endpoint: TEXT_DETECTOR_ENDPOINT })
  @Post('predict')
  @HttpCode(200)
  predict(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    return this.detector.predict(body, request.principal);
  }

  @ApiOperation({ summary: 'The seed’s /batch-predict: {texts (at most 100), model_id?, prefer_backend?}' })
  @ApiBearerAuth()
  @RateBucketOf('runsync')
  @RequiresPermission('write', { endpoint: TEXT_DETECTOR_ENDPOINT })
  @Post('batch-predict')
  @HttpCode(200)
  batchPredict(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    return this.detector.batchPredict(body, request.principal);
  }

  private describeModel(id: string) {
    const entry = this.catalog.registry.entry(id);
    const routing = this.router.model(textDetectorContract, id)!;
    const spec = this.catalog.spec(id);
    const catalogEntry = this.catalog.entry(id)!;
    return {
      model_id: id,
      repo: entry.repo,
      size_category: routing.size,
      preferred_backend: routing.preferred,
      fallback_backends: modelBackends(routing).slice(1),
      machine_label: entry.machineLabel,
      ...(spec
        ? {
            labels: spec.id2label,
            max_length: spec.maxLength,
            overlap: spec.overlap,
            model_bytes: spec.files.onnx.bytes,
            download_url: modelFileUrl(id, 'download'),
          }
        : { files_on_gateway: false, detail: 'unavailable' in catalogEntry ? catalogEntry.unavailable : undefined }),
    };
  }

  private sendFile(reply: FastifyReply, path: string, bytes: number, contentType: string, downloadName?: string): void {
    reply.headers({
      ...CROSS_ORIGIN_ISOLATION_HEADERS,
      'content-type': contentType,
      'content-length': String(bytes),
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
      ...(downloadName ? { 'content-disposition': `attachment; filename="${downloadName.replace(/[^\w.-]/g, '_')}"` } : {}),
    });
    reply.send(createReadStream(path));
  }
}
