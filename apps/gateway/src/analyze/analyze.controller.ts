import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ImageLoader } from '@switchyard/outbound';
import { RateBucketOf, RequiresPermission, type AuthenticatedRequest } from '../auth/auth.guard';
import { readAnalyzeRequest } from './analyze-request';
import { AnalyzeService, SPAI_ENDPOINT } from './analyze.service';
import { ANALYZE_IMAGE_LOADER } from './analyze.tokens';

/** Image AI-detection with provenance evidence and a verdict cache: the seed web app's analyze route. */
@ApiTags('Image analysis')
@ApiBearerAuth()
@Controller('v1')
export class AnalyzeController {
  constructor(
    private readonly analyzer: AnalyzeService,
    @Inject(ANALYZE_IMAGE_LOADER) private readonly loader: ImageLoader,
  ) {}

  @ApiOperation({
    summary: 'Is this image AI-generated? SPAI’s score fused with C2PA, IPTC, PNG-chunk and EXIF evidence, cached per project',
    description: 'multipart/form-data with `file` (and optional `sourceUrl`), or JSON `{image_url}` or `{image_base64}`.',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @RateBucketOf('runsync')
  @RequiresPermission('write', { endpoint: SPAI_ENDPOINT })
  @Post('analyze')
  @HttpCode(200)
  async analyze(@Req() request: AuthenticatedRequest) {
    const subject = await readAnalyzeRequest(request, this.loader);
    return this.analyzer.analyze(subject, request.principal);
  }
}
