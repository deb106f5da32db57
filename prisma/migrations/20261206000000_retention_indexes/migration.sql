-- Retention deletes expired jobs, and with them (ON DELETE CASCADE) their webhook deliveries and
-- those deliveries' attempts: without an index on delivery_id each deleted delivery would scan
-- the whole attempt table. Attempt history is also trimmed by age, hence the index on "at".

-- CreateIndex
CREATE INDEX "webhook_attempts_delivery_id_idx" ON "webhook_attempts"("delivery_id");

-- CreateIndex
CREATE INDEX "webhook_attempts_at_idx" ON "webhook_attempts"("at");
