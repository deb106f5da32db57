import { randomUUID } from 'node:crypto';
import type { NewJob } from '@switchyard/shared';

/** A new echo job of the default project, queued now with an hour's TTL, as tests queue it in a state store. */
export function newEchoJob(overrides: Partial<NewJob> = {}): NewJob {
  const now = Date.now();
  return {
    id: randomUUID(),
    projectId: 'default',
    endpointId: 'echo',
    queue: 'echo',
    createdAt: now,
    expiresAt: now + 3_600_000,
    retentionMs: 60_000,
    executionTimeout: 60_000,
    lowPriority: false,
    input: { hello: 'world' },
    ...overrides,
  };
}
