import { Module, type OnApplicationShutdown, type Provider, type Type } from '@nestjs/common';
import { GeneratorService, UpscalerService, type ImageGenerationServices } from '@switchyard/image-generation';
import { EchoModule } from '@switchyard/worker';
import { GeneratorController } from './generator.controller';
import { UpscalerController } from './upscaler.controller';

/**
 * The generator worker's root module around models loaded beforehand (loading takes a while and its
 * failure must stop the process before it takes jobs). A class, as the worker host expects one.
 */
export function generatorWorkerModule(services: ImageGenerationServices): Type {
  const controllers: Type[] = [];
  const providers: Provider[] = [];
  if (services.generator) {
    controllers.push(GeneratorController);
    providers.push({ provide: GeneratorService, useValue: services.generator });
  }
  if (services.upscaler) {
    controllers.push(UpscalerController);
    providers.push({ provide: UpscalerService, useValue: services.upscaler });
  }
  @Module({ imports: [EchoModule], controllers, providers })
  class GeneratorWorkerModule implements OnApplicationShutdown {
    /** Runs after the transport stopped taking jobs and the active ones finished. */
    onApplicationShutdown(): Promise<void> {
      return services.close();
    }
  }
  return GeneratorWorkerModule;
}
