import { Controller, Get, Inject, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BlobClaimCheck, BlobNotFoundError, isBlobId } from '@switchyard/blobs';
import { Public } from '../auth/auth.guard';
import { ForbiddenError, NotFoundError } from '../http/api-errors';
import { parseOrThrow } from '../http/zod-validation';
import { BlobLinks } from '../status/blob-links';

const signedQuerySchema = z.object({
  expires: z.coerce.number().int().positive(),
  type: z.string().min(1).max(200),
  signature: z.string().min(1).max(200),
});

/** Serves blobs (large outputs) by signed link; the signature stands in for the API key. */
@ApiTags('RunPod-compatible jobs')
@Public()
@Controller('v2/:endpointId/blobs')
export class BlobsController {
  constructor(
    private readonly links: BlobLinks,
    @Inject(BlobClaimCheck) private readonly claimCheck: BlobClaimCheck,
  ) {}

  @ApiOperation({ summary: 'A large output by the signed link that `?output=url` answered; no API key' })
  @Get(':blob')
  async blob(@Param('endpointId') endpointId: string, @Param('blob') blob: string, @Query() query: unknown): Promise<StreamableFile> {
    const signed = parseOrThrow(signedQuerySchema, query, '');
    if (!isBlobId(blob)) throw new NotFoundError('Blob', 'blob');
    if (!this.links.verify(endpointId, blob, signed)) throw new ForbiddenError('The link is invalid or has expired', 'signature');
    try {
      return new StreamableFile(await this.claimCheck.store.open(blob), { type: signed.type });
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw new NotFoundError('Blob', 'blob');
      throw error;
    }
  }
}
