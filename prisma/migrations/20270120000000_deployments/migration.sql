-- Deployments of Hugging Face models to RunPod serverless endpoints (`/v1/deployments`), and each
-- project's default RunPod key. Secrets are sealed with the master key before they are written.

-- AlterTable
ALTER TABLE "projects" ADD COLUMN "runpod_api_key" TEXT;

-- CreateTable
CREATE TABLE "deployments" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "api_key_id" TEXT,
    "status" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "gpu_tier" TEXT,
    "region" TEXT,
    "cache_scope" TEXT NOT NULL,
    "webhook_url" TEXT,
    "job_id" TEXT NOT NULL,
    "delete_job_id" TEXT,
    "runpod_api_key" TEXT NOT NULL,
    "hf_token" TEXT,
    "cache_secrets" TEXT,
    "model_vram_gb" INTEGER,
    "vram_source" TEXT,
    "gpu_allocated" TEXT,
    "gpu_pool" TEXT,
    "price_per_hour_usd" DOUBLE PRECISION,
    "max_workers" INTEGER,
    "runpod_endpoint_id" TEXT,
    "runpod_template_id" TEXT,
    "endpoint_url" TEXT,
    "error" TEXT,
    "phase_durations" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "ready_at" TIMESTAMP(3),
    "deleted_at" TIMESTAMP(3),
    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "deployments_project_id_created_at_idx" ON "deployments"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "deployments_status_idx" ON "deployments"("status");

-- CreateIndex
CREATE INDEX "deployments_job_id_idx" ON "deployments"("job_id");

-- CreateIndex
CREATE INDEX "deployments_delete_job_id_idx" ON "deployments"("delete_job_id");

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
