import { Module, type Type } from '@nestjs/common';
import { SpaiService } from '@switchyard/image-detection';
import { EchoModule } from '@switchyard/worker';
import { SpaiController } from './spai.controller';

/**
 * The detector worker's root module around models loaded beforehand (loading takes a while and its
 * failure must stop the process before it takes jobs). A class, as the worker host expects one.
 */
export function detectorWorkerModule(spai: SpaiService): Type {
  @Module({ imports: [EchoModule], controllers: [SpaiController], providers: [{ provide: SpaiService, useValue: spai }] })
  class DetectorWorkerModule {}
  return DetectorWorkerModule;
}
