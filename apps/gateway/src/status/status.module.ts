import { Module } from '@nestjs/common';
import { BlobLinks } from './blob-links';
import { JobOutputs } from './job-outputs';

/** RunPod's status object of a job, its output inline or as a signed blob link: for the job API and for webhooks. */
@Module({ providers: [BlobLinks, JobOutputs], exports: [BlobLinks, JobOutputs] })
export class StatusModule {}
