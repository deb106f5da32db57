import { Module } from '@nestjs/common';
import { imageFetchSettings, ImageLoader } from '@switchyard/outbound';
import type { GatewayConfig } from '../config';
import { DatabaseModule } from '../database/database.module';
import { CONFIG } from '../infra/tokens';
import { JobsModule } from '../jobs/jobs.module';
import { AnalyzeController } from './analyze.controller';
import { AnalyzeService } from './analyze.service';
import { ANALYZE_IMAGE_LOADER } from './analyze.tokens';

/** POST /v1/analyze: each analysis that misses the verdict cache is one job of the spai endpoint. */
@Module({
  imports: [JobsModule, DatabaseModule],
  controllers: [AnalyzeController],
  providers: [
    AnalyzeService,
    {
      provide: ANALYZE_IMAGE_LOADER,
      inject: [CONFIG],
      useFactory: (config: GatewayConfig) => new ImageLoader({ maxBytes: config.ANALYZE_MAX_IMAGE_BYTES, ...imageFetchSettings('ANALYZE', config) }),
    },
  ],
})
export class AnalyzeModule {}
