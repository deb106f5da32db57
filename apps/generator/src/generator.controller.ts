import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { GeneratorService } from '@switchyard/image-generation';
import { generatorContract, type GeneratorRequest } from '@switchyard/shared';
import type { JobContext } from '@switchyard/worker';

/** The `generator` queue's handler: a thin shell around GeneratorService. */
@Controller()
export class GeneratorController {
  constructor(@Inject(GeneratorService) private readonly generator: GeneratorService) {}

  @MessagePattern(generatorContract.queue)
  generate(@Payload() input: GeneratorRequest, @Ctx() context: JobContext) {
    return this.generator.handle(input, context);
  }
}
