import { Controller, Inject, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { SpaiService } from '@switchyard/image-detection';
import { spaiContract, type SpaiInput } from '@switchyard/shared';
import type { JobContext } from '@switchyard/worker';

/** The `spai` queue's handler: a thin shell around SpaiService. */
@Controller()
export class SpaiController implements OnApplicationShutdown {
  constructor(@Inject(SpaiService) private readonly spai: SpaiService) {}

  @MessagePattern(spaiContract.queue)
  detect(@Payload() input: SpaiInput, @Ctx() context: JobContext) {
    return this.spai.handle(input, context.signal);
  }

  /** Runs after the transport stopped taking jobs and the active ones finished. */
  onApplicationShutdown(): Promise<void> {
    return this.spai.close();
  }
}
