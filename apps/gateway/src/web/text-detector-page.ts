import { join } from 'node:path';
import { Controller, Get, Headers, Inject, Injectable, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard';
import { NotFoundError } from '../http/api-errors';
import { loadAssets, loadPage, pageDirectory, type WebAsset } from './web-assets';

/**
 * Cross-origin isolation: the page gets SharedArrayBuffer, so onnxruntime-web runs its wasm on
 * threads. Every response the page loads (its assets, the ort files, the model files) carries them.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
});

/** The verify page's policy, plus compiling WebAssembly and onnxruntime-web's worker threads. */
export const TEXT_DETECTOR_CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'";

export const TEXT_DETECTOR_FILES = Symbol('text-detector-files');

export interface TextDetectorFiles {
  /** The page (index.html), its hashed bundle and stylesheet, and the stable detector-client.js. */
  assets: Map<string, WebAsset>;
  /** onnxruntime-web's wasm files. */
  ortFiles: Map<string, WebAsset>;
}

/** The built page (dist/web/text-detector, from scripts/build-web.mjs) and its copy of onnxruntime-web's files (its ort/ folder). */
export function loadTextDetectorPage(moduleDir?: string): TextDetectorFiles {
  return { assets: loadPage('text-detector', moduleDir), ortFiles: loadAssets(join(pageDirectory('text-detector', moduleDir), 'ort')) };
}

/**
 * Sends the `/text-detector/` page and its files with their headers. The API's `GET /text-detector`
 * and `GET /text-detector/` routes answer browsers with {@link sendPage}.
 */
@Injectable()
export class TextDetectorPage {
  private readonly assets: Map<string, WebAsset>;
  private readonly ortFiles: Map<string, WebAsset>;

  constructor(@Inject(TEXT_DETECTOR_FILES) files: TextDetectorFiles) {
    ({ assets: this.assets, ortFiles: this.ortFiles } = files);
  }

  /** The page itself (index.html). */
  sendPage(reply: FastifyReply, ifNoneMatch?: string): void {
    this.send(reply, this.assets.get('index.html')!, ifNoneMatch);
  }

  /** A bundle file by name (`index.html` excepted): a lookup among the built names, never a path on disk. */
  sendAsset(reply: FastifyReply, name: string, ifNoneMatch?: string): void {
    const asset = name === 'index.html' ? undefined : this.assets.get(name);
    if (!asset) throw new NotFoundError('Asset');
    this.send(reply, asset, ifNoneMatch);
  }

  /** One of onnxruntime-web's files the build copied, by name. */
  sendOrtFile(reply: FastifyReply, name: string, ifNoneMatch?: string): void {
    const file = this.ortFiles.get(name);
    if (!file) throw new NotFoundError('File');
    this.send(reply, file, ifNoneMatch);
  }

  private send(reply: FastifyReply, asset: WebAsset, ifNoneMatch: string | undefined): void {
    reply.headers({
      ...CROSS_ORIGIN_ISOLATION_HEADERS,
      'content-type': asset.contentType,
      'cache-control': asset.cacheControl,
      etag: asset.etag,
      'content-security-policy': TEXT_DETECTOR_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === asset.etag)) reply.code(304).send();
    else reply.send(asset.body);
  }
}

/** `/text-detector/assets/:asset` and `/text-detector/ort/:file`, public: they hold no data. The page's own routes belong to the API. */
@ApiExcludeController()
@Controller('text-detector')
export class TextDetectorWebController {
  constructor(private readonly page: TextDetectorPage) {}

  @Public()
  @Get('assets/:asset')
  asset(@Param('asset') name: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.page.sendAsset(reply, name, ifNoneMatch);
  }

  @Public()
  @Get('ort/:file')
  ortFile(@Param('file') name: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.page.sendOrtFile(reply, name, ifNoneMatch);
  }
}
