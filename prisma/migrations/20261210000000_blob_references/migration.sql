-- Claim checks: inputs, outputs and stream chunks over the blob threshold are stored once in the
-- blob store; the record keeps their reference ({blob, bytes, sha256, contentType}) instead.

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN "input_blob" JSONB,
ADD COLUMN "output_blob" JSONB;

-- AlterTable
ALTER TABLE "job_events" ADD COLUMN "payload_blob" JSONB;
