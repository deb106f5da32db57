import { Module } from '@nestjs/common';
import { EchoModule } from '@switchyard/worker';

@Module({ imports: [EchoModule] })
export class GeneratorModule {}
