import { Module } from '@nestjs/common';
import { loadPage } from './web-assets';
import { VERIFY_PAGE, WebController } from './web.controller';

/** `/verify`: the image verification page, built by scripts/build-web.mjs and read into memory at start-up (which fails when it was not built). */
@Module({
  controllers: [WebController],
  providers: [{ provide: VERIFY_PAGE, useFactory: () => loadPage('verify') }],
})
export class WebModule {}
