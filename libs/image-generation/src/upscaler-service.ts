import { decodeSpaiImage, readImageHeader } from '@switchyard/image-detection';
import { ImageInputError, type ImageLoader } from '@switchyard/outbound';
import {
  createUpscalerContract,
  inputRefusal,
  type ReportedJobError,
  type UpscalerLimits,
  type UpscalerOutput,
  type UpscalerRequest,
} from '@switchyard/shared';
import { encodeJpeg, encodePng } from './eight-bit';
import { UpscaleRefusedError, type RealEsrganUpscaler } from './upscaling';
import { WorkProgress, type ImageJob } from './work-progress';

export interface UpscalerSettings {
  readonly limits: UpscalerLimits;
  readonly jpegQuality: number;
  readonly executionProvider: string;
}

const milliseconds = (start: number) => Math.round(performance.now() - start);

/**
 * The `upscaler` endpoint's work: one image, fetched (with the platform's SSRF-safe client) or
 * decoded from base64, upscaled by Real-ESRGAN tile by tile. The output size is checked from the
 * image's header, before a pixel is decoded.
 */
export class UpscalerService {
  private readonly contract: ReturnType<typeof createUpscalerContract>;

  constructor(
    readonly upscaler: RealEsrganUpscaler,
    private readonly loader: ImageLoader,
    private readonly settings: UpscalerSettings,
  ) {
    this.contract = createUpscalerContract(settings.limits);
  }

  async handle(input: UpscalerRequest, job: ImageJob): Promise<UpscalerOutput | ReportedJobError> {
    const parsed = this.contract.input.safeParse(input);
    if (!parsed.success) return inputRefusal(parsed.error);
    const request = parsed.data;
    const { maxOutputPixels } = this.settings.limits;
    try {
      const fetching = performance.now();
      const bytes = request.image_url !== undefined ? await this.loader.download(request.image_url) : this.loader.decodeBase64(request.image_base64!);
      const fetchMs = milliseconds(fetching);
      const header = await readImageHeader(bytes, maxOutputPixels);
      const width = Math.trunc(header.width * request.scale);
      const height = Math.trunc(header.height * request.scale);
      if (width * height > maxOutputPixels) {
        return {
          error: `scale: ${header.width}×${header.height} upscaled ${request.scale}× is ${width}×${height}, over the limit of ${maxOutputPixels} pixels`,
        };
      }
      const decoding = performance.now();
      const image = await decodeSpaiImage(bytes, { maxPixels: maxOutputPixels });
      const decodeMs = milliseconds(decoding);
      const tiles = this.upscaler.tileCount(image.width, image.height, request.tile_size);
      const progress = new WorkProgress(job, { upscale: tiles });
      const upscaling = performance.now();
      const upscaled = await this.upscaler.upscale(image, {
        tileSize: request.tile_size,
        outscale: request.scale,
        signal: job.signal,
        cutOff: job.cutOff,
        onTile: (done, total) => progress.report('upscale', done, total),
      });
      const upscaleMs = milliseconds(upscaling);
      const encoding = performance.now();
      const encoded = request.output_format === 'png' ? await encodePng(upscaled) : await encodeJpeg(upscaled, this.settings.jpegQuality);
      return {
        image: encoded.toString('base64'),
        width: upscaled.width,
        height: upscaled.height,
        input_width: image.width,
        input_height: image.height,
        scale: request.scale,
        tiles,
        format: request.output_format,
        upscaler: this.upscaler.name,
        timings_ms: { ...(request.image_url !== undefined ? { fetch: fetchMs } : {}), decode: decodeMs, upscale: upscaleMs, encode: milliseconds(encoding) },
        execution_provider: this.settings.executionProvider,
      };
    } catch (error) {
      if (error instanceof ImageInputError) return { error: error.message };
      if (error instanceof UpscaleRefusedError) return { error: `${error.option === 'outscale' ? 'scale' : 'tile_size'}: ${error.message}` };
      throw error;
    }
  }

  describe(): Record<string, unknown> {
    return { executionProvider: this.settings.executionProvider, upscaler: this.upscaler.describe(), limits: this.settings.limits };
  }
}
