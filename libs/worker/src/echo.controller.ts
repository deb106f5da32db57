import { Controller, Module } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import { echoContract, type ContractInput, type ContractOutput } from '@switchyard/shared';
import type { JobContext } from './job-context';

type EchoInput = ContractInput<typeof echoContract>;

/** The built-in echo endpoint, servable by any worker. */
@Controller()
export class EchoController {
  @MessagePattern(echoContract.queue)
  async echo(@Payload() input: EchoInput, @Ctx() context: JobContext): Promise<ContractOutput<typeof echoContract>> {
    for (const value of input.progress ?? []) await context.progress(value);
    const chunks = input.stream ?? [];
    const pause = input.sleep_ms ? input.sleep_ms / Math.max(chunks.length, 1) : 0;
    for (const chunk of chunks) {
      if (pause) await sleep(pause, undefined, { signal: context.signal });
      await context.stream(chunk);
    }
    if (pause && chunks.length === 0) await sleep(pause, undefined, { signal: context.signal });
    if (input.fail) throw new Error(input.fail);
    return input.repeat ? { echo: input, copies: Array.from({ length: input.repeat }, () => input) } : { echo: input };
  }
}

@Module({ controllers: [EchoController] })
export class EchoModule {}
