import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { WebModule } from '../web/web.module';
import { TextDetectorController } from './text-detector.controller';
import { TextDetectorService } from './text-detector.service';
import { TextDetectorStats } from './text-detector-stats';

/** The seed's text-detector API at /text-detector, over the router and the `text-detector` job queue. */
@Module({
  imports: [JobsModule, WebModule],
  controllers: [TextDetectorController],
  providers: [TextDetectorService, TextDetectorStats],
})
export class TextDetectorModule {}
