-- Projects (tenants): every API key and every job belongs to one. Existing keys and jobs move to
-- the `default` project, which the key in SWITCHYARD_API_KEY also belongs to, so a single-user
-- install notices nothing. Keys gain RunPod's permissions (read/write, read-only, restricted to
-- endpoints), an admin flag and an optional expiry.

-- CreateEnum
CREATE TYPE "KeyPermission" AS ENUM ('read_write', 'read_only', 'restricted');

-- CreateTable
CREATE TABLE "projects" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "projects_name_key" ON "projects"("name");

INSERT INTO "projects" ("id", "name") VALUES ('default', 'default');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN "project_id" TEXT NOT NULL DEFAULT 'default',
ADD COLUMN "permission" "KeyPermission" NOT NULL DEFAULT 'read_write',
ADD COLUMN "endpoints" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "admin" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "expires_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN "project_id" TEXT NOT NULL DEFAULT 'default';

-- CreateIndex
CREATE INDEX "jobs_project_id_endpoint_id_status_idx" ON "jobs"("project_id", "endpoint_id", "status");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
