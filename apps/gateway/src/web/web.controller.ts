import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard';
import { NotFoundError } from '../http/api-errors';
import { PAGE_CSP, type WebAsset } from './web-assets';

export const VERIFY_PAGE = Symbol('verify-page');

/** `/verify`: the page that calls `POST /v1/analyze` from a browser, and its bundled files. Public: the page holds no data; the key is the user's. */
@ApiExcludeController()
@Controller('verify')
export class WebController {
  constructor(@Inject(VERIFY_PAGE) private readonly assets: Map<string, WebAsset>) {}

  @Public()
  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, this.assets.get('index.html')!);
  }

  @Public()
  @Get(':asset')
  asset(@Param('asset') name: string, @Res() reply: FastifyReply): void {
    // A lookup among the built files' names, never a path on disk: `..`, slashes and encodings find nothing.
    const asset = name === 'index.html' ? undefined : this.assets.get(name);
    if (!asset) throw new NotFoundError('Asset');
    this.send(reply, asset);
  }

  private send(reply: FastifyReply, asset: WebAsset): void {
    reply
      .headers({
        'content-type': asset.contentType,
        'cache-control': asset.cacheControl,
        'content-security-policy': PAGE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      })
      .send(asset.body);
  }
}
