-- The backend the router chose for a job (local or remote) and, where it fell back, why. NULL for
-- jobs of endpoints that only have their local queue.
ALTER TABLE "jobs" ADD COLUMN "backend" TEXT;
ALTER TABLE "jobs" ADD COLUMN "route_note" TEXT;
