import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminOnly } from '../auth/access';
import { ApiKeyManager, KeyManagementError, projectIdSchema, type NewKey } from '../auth/api-key-manager';
import { ApiKeysService } from '../auth/api-keys.service';
import { ConflictError, NotFoundError, ValidationError } from '../http/api-errors';
import { parseOrThrow } from '../http/zod-validation';

const newProjectSchema = z.object({ id: projectIdSchema, name: z.string().min(1).max(200).optional() }).strict();
const listQuerySchema = z.object({ projectId: projectIdSchema.optional() });

/** Key and project management over HTTP, for admin keys (the same operations as `npm run keys`). */
@ApiTags('Admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin')
export class AdminController {
  constructor(
    private readonly manager: ApiKeyManager,
    private readonly keys: ApiKeysService,
  ) {}

  @ApiOperation({ summary: 'Projects' })
  @Get('projects')
  projects() {
    return this.manager.listProjects();
  }

  @ApiOperation({ summary: 'Create a project: {id, name?}' })
  @Post('projects')
  @HttpCode(201)
  async createProject(@Body() body: unknown) {
    const { id, name } = parseOrThrow(newProjectSchema, body, '');
    return this.manager.createProject(id, name).catch(rethrow);
  }

  @ApiOperation({ summary: 'API keys (never the keys themselves), optionally of one ?projectId=' })
  @Get('keys')
  list(@Query() query: unknown) {
    return this.manager.list(parseOrThrow(listQuerySchema, query, '').projectId);
  }

  @ApiOperation({ summary: 'Create a key: {name, projectId?, permission?, scope?, endpoints?, admin?, expiresAt?}; the key is shown once' })
  @Post('keys')
  @HttpCode(201)
  create(@Body() body: unknown) {
    return this.manager.create((body ?? {}) as NewKey).catch(rethrow);
  }

  @ApiOperation({ summary: 'Revoke a key, at once on every gateway' })
  @Delete('keys/:id')
  async revoke(@Param('id') id: string) {
    if (!(await this.manager.revoke(id))) throw new NotFoundError(`Active key "${id}"`, 'id');
    this.keys.evict(id);
    return { id, revoked: true };
  }
}

function rethrow(error: unknown): never {
  if (error instanceof KeyManagementError) {
    if (/already exists/.test(error.message)) throw new ConflictError(error.message);
    throw new ValidationError('body', error.message);
  }
  throw error;
}
