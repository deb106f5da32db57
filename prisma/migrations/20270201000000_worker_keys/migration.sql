-- Worker keys: a key of scope `worker` serves only RunPod's worker protocol (external serverless
-- workers taking jobs), for the endpoints it names; existing keys keep the public APIs.

-- CreateEnum
CREATE TYPE "KeyScope" AS ENUM ('api', 'worker');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN "scope" "KeyScope" NOT NULL DEFAULT 'api';
