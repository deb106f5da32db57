import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RateBucketOf, RequiresPermission, type AuthenticatedRequest } from '../auth/auth.guard';
import { EMBEDDER_ENDPOINT, OpenAiService } from './openai.service';

const embeddingsBody = {
  schema: {
    type: 'object',
    required: ['model', 'input'],
    properties: {
      model: { type: 'string', example: 'sentence-transformers/all-MiniLM-L6-v2' },
      input: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      encoding_format: { type: 'string', enum: ['float', 'base64'] },
      dimensions: { type: 'integer', description: 'Keep the first N dimensions, normalized again' },
      user: { type: 'string' },
      modality: { type: 'string', enum: ['text', 'image'], description: 'Extension: image inputs (URLs or data URIs) for the CLIP model' },
    },
  },
};

/** OpenAI's embeddings and models API: the official clients work by changing their base URL. Errors are in OpenAI's shape (see writeOpenAiErrorBody). */
@ApiTags('OpenAI-compatible')
@ApiBearerAuth()
@Controller('v1')
export class OpenAiController {
  constructor(private readonly openai: OpenAiService) {}

  @ApiOperation({ summary: 'Embeddings of texts (all-MiniLM-L6-v2, CLIP text tower) or images (CLIP), as OpenAI answers them' })
  @ApiBody(embeddingsBody)
  @RateBucketOf('runsync')
  @RequiresPermission('write', { endpoint: EMBEDDER_ENDPOINT })
  @Post('embeddings')
  @HttpCode(200)
  embeddings(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    return this.openai.createEmbeddings(body, request.principal);
  }

  @ApiOperation({ summary: 'The embedding models served' })
  @RequiresPermission('read', { endpoint: EMBEDDER_ENDPOINT })
  @Get('models')
  models() {
    return this.openai.listModels();
  }

  @ApiOperation({ summary: 'One model, by id or alias' })
  @RequiresPermission('read', { endpoint: EMBEDDER_ENDPOINT })
  @Get('models/:model')
  model(@Param('model') model: string) {
    return this.openai.retrieveModel(model);
  }
}
