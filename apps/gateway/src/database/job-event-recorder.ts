import { Prisma, type PrismaClient } from '@switchyard/db';
import { isFinalEvent, parseClaim, type JobEvent } from '@switchyard/shared';

export interface WebhookDue {
  deliveryId: string;
  jobId: string;
}

/**
 * Writes a batch of job events to Postgres in one transaction. Idempotent: an event already
 * recorded (same job and sequence) is skipped, and a job row only moves forward in sequence, so
 * redelivered or reordered events never corrupt the record. Returns the webhook deliveries that
 * the batch made due.
 *
 * Each statement takes the whole batch as one JSON parameter expanded by `json_to_recordset`: a
 * batch of hundreds of events costs the driver one parameter instead of thousands, and the inputs
 * and outputs, already JSON text, are spliced in without being parsed. Values held as blobs (claim
 * checks) are recorded as their reference, in the `*_blob` columns, never as their bytes.
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
    .filter((event) => event.view.webhook && isFinalEvent(event))
    .map((event) => ({ id: `msg_${event.jobId}_${event.seq}`, jobId: event.jobId, eventSeq: event.seq, url: event.view.webhook!, status: 'PENDING' as const }));

  await prisma.$transaction([
    prisma.$executeRaw(upsertJobs([...latestByJob.values()], inputByJob)),
    prisma.$executeRaw(insertEvents(events)),
    ...(deliveries.length ? [prisma.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true })] : []),
  ]);
  return deliveries.map((delivery) => ({ deliveryId: delivery.id, jobId: delivery.jobId }));
}

/** Columns that follow the newest event; `input` is only ever filled in, by whichever event brings it. */
const JOB_STATE_COLUMNS = [
  'status',
  'output',
  'output_blob',
  'error',
  'attempts',
  'started_at',
  'finished_at',
  'delay_time_ms',
  'execution_time_ms',
  'last_seq',
  'backend',
  'route_note',
];

function upsertJobs(latest: JobEvent[], inputByJob: Map<string, string>): Prisma.Sql {
  const rows = latest.map(({ jobId, view }) => {
    const row = {
      id: jobId,
      project_id: view.projectId ?? 'default',
      endpoint_id: view.endpointId,
      queue: view.queue,
      status: view.status,
      error: view.error ?? null,
      webhook_url: view.webhook ?? null,
      policy: { executionTimeout: view.executionTimeout, ttl: view.expiresAt - view.createdAt, lowPriority: view.lowPriority },
      api_key_id: view.apiKeyId ?? null,
      attempts: view.attempts,
      created_at: isoTime(view.createdAt),
      started_at: isoTime(view.startedAt),
      finished_at: isoTime(view.finishedAt),
      expires_at: isoTime(view.expiresAt),
      delay_time_ms: view.startedAt !== undefined ? view.startedAt - view.createdAt : null,
      execution_time_ms: view.startedAt !== undefined && view.finishedAt !== undefined ? view.finishedAt - view.startedAt : null,
      last_seq: view.seq,
      backend: view.backend ?? null,
      route_note: view.routeNote ?? null,
    };
    return withRawJson(row, { ...jsonOrBlob('input', inputByJob.get(jobId)), ...jsonOrBlob('output', view.output) });
  });
  const follow = JOB_STATE_COLUMNS.map((column) => `${column} = CASE WHEN jobs.last_seq < EXCLUDED.last_seq THEN EXCLUDED.${column} ELSE jobs.${column} END`);
  return Prisma.sql`
    INSERT INTO jobs (id, project_id, endpoint_id, queue, status, input, input_blob, output, output_blob, error, webhook_url, policy, api_key_id, attempts,
      created_at, started_at, finished_at, expires_at, delay_time_ms, execution_time_ms, last_seq, backend, route_note)
    SELECT id, project_id, endpoint_id, queue, status::"JobStatus", input, input_blob, output, output_blob, error, webhook_url, policy, api_key_id, attempts,
      created_at, started_at, finished_at, expires_at, delay_time_ms, execution_time_ms, last_seq, backend, route_note
    FROM json_to_recordset(${`[${rows.join(',')}]`}::json) AS given(id text, project_id text, endpoint_id text, queue text, status text,
      input jsonb, input_blob jsonb, output jsonb, output_blob jsonb, error jsonb, webhook_url text, policy jsonb, api_key_id text, attempts int,
      created_at timestamp(3), started_at timestamp(3), finished_at timestamp(3), expires_at timestamp(3),
      delay_time_ms int, execution_time_ms int, last_seq int, backend text, route_note text)
    ON CONFLICT (id) DO UPDATE SET ${Prisma.raw(follow.join(', '))},
      input = COALESCE(jobs.input, EXCLUDED.input), input_blob = COALESCE(jobs.input_blob, EXCLUDED.input_blob)
    WHERE jobs.last_seq < EXCLUDED.last_seq OR (jobs.input IS NULL AND jobs.input_blob IS NULL AND (EXCLUDED.input IS NOT NULL OR EXCLUDED.input_blob IS NOT NULL))`;
}

function insertEvents(events: JobEvent[]): Prisma.Sql {
  const rows = events.map((event) =>
    // The input lives on the job row and the output in the job's final state; events keep the rest.
    withRawJson(
      { job_id: event.jobId, seq: event.seq, type: event.type, at: isoTime(event.at) },
      jsonOrBlob('payload', event.type === 'queued' ? undefined : event.payload),
    ),
  );
  return Prisma.sql`INSERT INTO job_events (job_id, seq, type, payload, payload_blob, at)
    SELECT job_id, seq, type, payload, payload_blob, at
    FROM json_to_recordset(${`[${rows.join(',')}]`}::json) AS given(job_id text, seq int, type text, payload jsonb, payload_blob jsonb, at timestamp(3))
    ON CONFLICT (job_id, seq) DO NOTHING`;
}

/** `name` (JSON text) or `name_blob` (the reference) for a stored value that may be a claim check. */
function jsonOrBlob(name: string, stored: string | undefined): Record<string, string | undefined> {
  const ref = parseClaim(stored);
  return ref ? { [name]: undefined, [`${name}_blob`]: JSON.stringify(ref) } : { [name]: stored, [`${name}_blob`]: undefined };
}

/** JSON text of `fields` plus members whose values are already JSON text (absent ones become null). */
function withRawJson(fields: Record<string, unknown>, raw: Record<string, string | undefined>): string {
  const members = Object.entries(raw).map(([key, json]) => `${JSON.stringify(key)}:${json ?? 'null'}`);
  return `${JSON.stringify(fields).slice(0, -1)},${members.join(',')}}`;
}

/** A time as JSON.stringify writes a Date (null when invalid), given as text: stringifying Date objects costs several times more. */
function isoTime(epochMs: number | undefined): string | null {
  if (epochMs === undefined) return null;
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Marks the job of an event that could not be recorded as FAILED, with why, leaving out whatever
 * in the event could not be stored. Its sequence is left as it was, so any later event of the job,
 * or the same event replayed after a fix, still moves the row forward.
 */
export async function markJobUnrecorded(prisma: PrismaClient, event: JobEvent, reason: string): Promise<void> {
  const { view } = event;
  const error = JSON.stringify({
    error_type: 'EventNotRecorded',
    error_message: `Event ${event.seq} (${event.type}) of this job could not be recorded: ${reason}`,
  });
  const finishedAt = new Date(event.at);
  await prisma.job.upsert({
    where: { id: event.jobId },
    create: {
      id: event.jobId,
      projectId: view.projectId ?? 'default',
      endpointId: view.endpointId,
      queue: view.queue,
      status: 'FAILED',
      error,
      webhookUrl: view.webhook ?? null,
      policy: { executionTimeout: view.executionTimeout, ttl: view.expiresAt - view.createdAt, lowPriority: view.lowPriority },
      apiKeyId: view.apiKeyId ?? null,
      attempts: view.attempts,
      createdAt: new Date(view.createdAt),
      finishedAt,
      expiresAt: new Date(view.expiresAt),
      lastSeq: 0,
    },
    update: { status: 'FAILED', error, finishedAt },
  });
}
