import { Controller, Inject, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { textDetectorContract, type TextDetectorInput } from '@switchyard/shared';
import { TextDetectorService } from '@switchyard/text-detection';
import type { JobContext } from '@switchyard/worker';

/** The `text-detector` queue's handler: a thin shell around TextDetectorService. */
@Controller()
export class TextDetectorController implements OnApplicationShutdown {
  constructor(@Inject(TextDetectorService) private readonly textDetector: TextDetectorService) {}

  @MessagePattern(textDetectorContract.queue)
  detect(@Payload() input: TextDetectorInput, @Ctx() context: JobContext) {
    return this.textDetector.handle(input, context.signal);
  }

  /** Runs after the transport stopped taking jobs and the active ones finished. */
  onApplicationShutdown(): Promise<void> {
    return this.textDetector.close();
  }
}
