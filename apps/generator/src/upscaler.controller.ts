import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { UpscalerService } from '@switchyard/image-generation';
import { upscalerContract, type UpscalerRequest } from '@switchyard/shared';
import type { JobContext } from '@switchyard/worker';

/** The `upscaler` queue's handler: a thin shell around UpscalerService. */
@Controller()
export class UpscalerController {
  constructor(@Inject(UpscalerService) private readonly upscaler: UpscalerService) {}

  @MessagePattern(upscalerContract.queue)
  upscale(@Payload() input: UpscalerRequest, @Ctx() context: JobContext) {
    return this.upscaler.handle(input, context);
  }
}
