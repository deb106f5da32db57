-- Image verdicts, per project: the answer for an image already judged, found by its SHA-256 or, for
-- near duplicates, by its 64-bit perceptual hash. The unsigned hash is stored as signed int8 (two's
-- complement); its four 16-bit bands (band0 = bits 0-15, ..., band3 = bits 48-63) are indexed for
-- multi-index hashing, and the CHECK keeps them equal to the hash.

-- CreateTable
CREATE TABLE "image_verdicts" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "phash" BIGINT NOT NULL,
    "band0" INTEGER NOT NULL,
    "band1" INTEGER NOT NULL,
    "band2" INTEGER NOT NULL,
    "band3" INTEGER NOT NULL,
    "verdict" JSONB NOT NULL,
    "evidence" JSONB NOT NULL,
    "score" DOUBLE PRECISION,
    "job_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "image_verdicts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "image_verdicts_sha256_check" CHECK ("sha256" ~ '^[0-9a-f]{64}$'),
    CONSTRAINT "image_verdicts_bands_check" CHECK (
        "band0" = ("phash" & 65535)::integer AND
        "band1" = (("phash" >> 16) & 65535)::integer AND
        "band2" = (("phash" >> 32) & 65535)::integer AND
        "band3" = (("phash" >> 48) & 65535)::integer
    )
);

-- CreateIndex
CREATE UNIQUE INDEX "image_verdicts_project_id_sha256_key" ON "image_verdicts"("project_id", "sha256");

-- CreateIndex
CREATE INDEX "image_verdicts_project_id_band0_idx" ON "image_verdicts"("project_id", "band0");

-- CreateIndex
CREATE INDEX "image_verdicts_project_id_band1_idx" ON "image_verdicts"("project_id", "band1");

-- CreateIndex
CREATE INDEX "image_verdicts_project_id_band2_idx" ON "image_verdicts"("project_id", "band2");

-- CreateIndex
CREATE INDEX "image_verdicts_project_id_band3_idx" ON "image_verdicts"("project_id", "band3");

-- AddForeignKey
ALTER TABLE "image_verdicts" ADD CONSTRAINT "image_verdicts_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
