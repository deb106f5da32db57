import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { OpenAiController } from './openai.controller';
import { OpenAiService } from './openai.service';

/** OpenAI's `/v1/embeddings` and `/v1/models`, each request one job of the embedder endpoint. */
@Module({ imports: [JobsModule], controllers: [OpenAiController], providers: [OpenAiService] })
export class OpenAiModule {}
