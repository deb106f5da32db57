import { Module, type Provider, type Type } from '@nestjs/common';
import { SpaiService } from '@switchyard/image-detection';
import { TextDetectorService } from '@switchyard/text-detection';
import { EchoModule } from '@switchyard/worker';
import { SpaiController } from './spai.controller';
import { TextDetectorController } from './text-detector.controller';

/** The services of the queues this worker serves; a queue not served has none loaded. */
export interface DetectorServices {
  readonly spai?: SpaiService;
  readonly textDetector?: TextDetectorService;
}

/**
 * The detector worker's root module around models loaded beforehand (loading takes a while and its
 * failure must stop the process before it takes jobs). A class, as the worker host expects one.
 */
export function detectorWorkerModule(services: DetectorServices): Type {
  const controllers: Type[] = [];
  const providers: Provider[] = [];
  if (services.spai) {
    controllers.push(SpaiController);
    providers.push({ provide: SpaiService, useValue: services.spai });
  }
  if (services.textDetector) {
    controllers.push(TextDetectorController);
    providers.push({ provide: TextDetectorService, useValue: services.textDetector });
  }
  @Module({ imports: [EchoModule], controllers, providers })
  class DetectorWorkerModule {}
  return DetectorWorkerModule;
}
