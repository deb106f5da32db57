import { Inject, Injectable } from '@nestjs/common';
import { BlobClaimCheck } from '@switchyard/blobs';
import { BlobLinks } from './blob-links';
import { toStatusResponse, type JobRecordLike, type JobStatusResponse } from './job-status-response';

/**
 * How a caller wants an output held as a blob: inline in the status object, as RunPod answers and
 * as existing clients expect, or as a short-lived signed link (`?output=url`) served by the gateway.
 */
export type OutputDelivery = { as: 'inline' } | { as: 'url'; baseUrl: string };

export const INLINE_OUTPUT: OutputDelivery = { as: 'inline' };

/** Answers a job's status object, fetching a claim-checked output only when it is to be inlined. */
@Injectable()
export class JobOutputs {
  constructor(
    @Inject(BlobClaimCheck) private readonly claimCheck: BlobClaimCheck,
    private readonly links: BlobLinks,
  ) {}

  async statusOf(endpointId: string, job: JobRecordLike, delivery: OutputDelivery = INLINE_OUTPUT): Promise<JobStatusResponse> {
    const { outputBlob } = job;
    if (!outputBlob) return toStatusResponse(job);
    if (delivery.as === 'url') return { ...toStatusResponse(job), outputUrl: this.links.link(delivery.baseUrl, endpointId, outputBlob) };
    return toStatusResponse({ ...job, output: JSON.parse(await this.claimCheck.load(outputBlob)) });
  }
}
