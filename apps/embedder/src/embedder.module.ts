import { Module, type Type } from '@nestjs/common';
import { EchoModule } from '@switchyard/worker';
import { EmbedderController } from './embedder.controller';
import { EmbeddingService } from './embedding-service';

/**
 * The embedder's root module around models loaded beforehand (loading takes a while and its
 * failure must stop the process before it takes jobs). A class, as the worker host expects one.
 */
export function embedderModule(embeddings: EmbeddingService): Type {
  @Module({ imports: [EchoModule], controllers: [EmbedderController], providers: [{ provide: EmbeddingService, useValue: embeddings }] })
  class EmbedderModule {}
  return EmbedderModule;
}
