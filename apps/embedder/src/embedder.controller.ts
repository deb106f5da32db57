import { Controller, Inject, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { embedderContract, type EmbedderInput } from '@switchyard/shared';
import type { JobContext } from '@switchyard/worker';
import { EmbeddingService } from './embedding-service';

/** The `embedder` queue's handler: a thin shell around EmbeddingService. */
@Controller()
export class EmbedderController implements OnApplicationShutdown {
  constructor(@Inject(EmbeddingService) private readonly embeddings: EmbeddingService) {}

  @MessagePattern(embedderContract.queue)
  embed(@Payload() input: EmbedderInput, @Ctx() context: JobContext) {
    return this.embeddings.embed(input, context.signal);
  }

  /** Runs after the transport stopped taking jobs and the active ones finished. */
  onApplicationShutdown(): Promise<void> {
    return this.embeddings.close();
  }
}
