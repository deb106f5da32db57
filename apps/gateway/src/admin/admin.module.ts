import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AdminController } from './admin.controller';

/** `/admin`: projects and API keys over HTTP, for admin keys. */
@Module({ imports: [AuthModule], controllers: [AdminController] })
export class AdminModule {}
