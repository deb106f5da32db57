import { Module } from '@nestjs/common';
import { TEXT_DETECTOR_FILES, TextDetectorPage, TextDetectorWebController, loadTextDetectorPage } from './text-detector-page';
import { loadPage } from './web-assets';
import { VERIFY_PAGE, WebController } from './web.controller';

/**
 * The gateway's pages, built by scripts/build-web.mjs and read into memory at start-up (which fails
 * when they were not built): `/verify`, and the text detector's files. `TextDetectorPage` is
 * exported for the API's `GET /text-detector/` to send the page.
 */
@Module({
  controllers: [WebController, TextDetectorWebController],
  providers: [
    { provide: VERIFY_PAGE, useFactory: () => loadPage('verify') },
    { provide: TEXT_DETECTOR_FILES, useFactory: () => loadTextDetectorPage() },
    TextDetectorPage,
  ],
  exports: [TextDetectorPage],
})
export class WebModule {}
