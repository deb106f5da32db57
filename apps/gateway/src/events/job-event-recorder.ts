import { Prisma, type PrismaClient } from '@switchyard/db';
import { isFinalStatus, type JobEvent } from '@switchyard/shared';

export interface WebhookDue {
  deliveryId: string;
  jobId: string;
}

/**
 * Writes a batch of job events to Postgres in one transaction. Idempotent: an event already
 * recorded (same job and sequence) is skipped, and a job row only moves forward in sequence, so
 * redelivered or reordered events never corrupt the record. Returns the webhook deliveries that
 * the batch made due.
 */
export async function recordJobEvents(prisma: PrismaClient, events: JobEvent[]): Promise<WebhookDue[]> {
  if (events.length === 0) return [];
  const latestByJob = new Map<string, JobEvent>();
  const inputByJob = new Map<string, string>();
  for (const event of events) {
    const latest = latestByJob.get(event.jobId);
    if (!latest || latest.seq < event.seq) latestByJob.set(event.jobId, event);
    if (event.type === 'queued' && event.payload !== undefined) inputByJob.set(event.jobId, event.payload);
  }
  const deliveries = events
    .filter((event) => event.view.webhook && isFinalStatus(event.view.status) && event.type !== 'retried' && isEndEvent(event))
    .map((event) => ({ id: `msg_${event.jobId}_${event.seq}`, jobId: event.jobId, eventSeq: event.seq, url: event.view.webhook!, status: 'PENDING' as const }));

  await prisma.$transaction([
    prisma.$executeRaw(upsertJobs([...latestByJob.values()], inputByJob)),
    ...(inputByJob.size ? [prisma.$executeRaw(fillMissingInputs(inputByJob))] : []),
    prisma.$executeRaw(insertEvents(events)),
    ...(deliveries.length ? [prisma.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true })] : []),
  ]);
  return deliveries.map((delivery) => ({ deliveryId: delivery.id, jobId: delivery.jobId }));
}

function isEndEvent(event: JobEvent): boolean {
  return event.type === 'completed' || event.type === 'failed' || event.type === 'timed_out' || event.type === 'cancelled';
}

function upsertJobs(latest: JobEvent[], inputByJob: Map<string, string>): Prisma.Sql {
  const rows = latest.map(({ jobId, view }) => {
    const delay = view.startedAt !== undefined ? view.startedAt - view.createdAt : null;
    const execution = view.startedAt !== undefined && view.finishedAt !== undefined ? view.finishedAt - view.startedAt : null;
    const policy = { executionTimeout: view.executionTimeout, ttl: view.expiresAt - view.createdAt, lowPriority: view.lowPriority };
    return Prisma.sql`(${jobId}, ${view.endpointId}, ${view.queue}, ${view.status}::"JobStatus", ${inputByJob.get(jobId) ?? null}::jsonb,
      ${view.output ?? null}::jsonb, ${view.error === undefined ? null : JSON.stringify(view.error)}::jsonb, ${view.webhook ?? null},
      ${JSON.stringify(policy)}::jsonb, ${view.apiKeyId ?? null}, ${view.attempts}, ${new Date(view.createdAt)}, ${toDate(view.startedAt)},
      ${toDate(view.finishedAt)}, ${new Date(view.expiresAt)}, ${delay}::int, ${execution}::int, ${view.seq})`;
  });
  return Prisma.sql`
    INSERT INTO jobs (id, endpoint_id, queue, status, input, output, error, webhook_url, policy, api_key_id, attempts,
      created_at, started_at, finished_at, expires_at, delay_time_ms, execution_time_ms, last_seq)
    VALUES ${Prisma.join(rows)}
    ON CONFLICT (id) DO UPDATE SET
      status = EXCLUDED.status, input = COALESCE(jobs.input, EXCLUDED.input), output = EXCLUDED.output, error = EXCLUDED.error,
      attempts = EXCLUDED.attempts, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
      delay_time_ms = EXCLUDED.delay_time_ms, execution_time_ms = EXCLUDED.execution_time_ms, last_seq = EXCLUDED.last_seq
    WHERE jobs.last_seq < EXCLUDED.last_seq`;
}

/** One statement for the whole batch; an event already recorded (same job and sequence) is skipped. */
function insertEvents(events: JobEvent[]): Prisma.Sql {
  const rows = events.map((event) => {
    // The input lives on the job row and the output in the job's final state; events keep the rest.
    const payload = event.type === 'queued' ? null : (event.payload ?? null);
    return Prisma.sql`(${event.jobId}, ${event.seq}, ${event.type}, ${payload}::jsonb, ${new Date(event.at)})`;
  });
  return Prisma.sql`INSERT INTO job_events (job_id, seq, type, payload, at) VALUES ${Prisma.join(rows)}
    ON CONFLICT (job_id, seq) DO NOTHING`;
}

/** A queued event recorded after a later one (several recorders, or a reclaimed batch) still brings its input. */
function fillMissingInputs(inputByJob: Map<string, string>): Prisma.Sql {
  const rows = [...inputByJob].map(([jobId, input]) => Prisma.sql`(${jobId}, ${input}::jsonb)`);
  return Prisma.sql`UPDATE jobs SET input = given.input FROM (VALUES ${Prisma.join(rows)}) AS given(id, input)
    WHERE jobs.id = given.id AND jobs.input IS NULL`;
}

function toDate(epochMs: number | undefined): Date | null {
  return epochMs === undefined ? null : new Date(epochMs);
}
