import { randomUUID } from 'node:crypto';
import { Injectable, type PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../http/api-errors';

/** Job ids are random UUIDs, as the gateway issues them (lowercase, version 4). */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function createJobId(): string {
  return randomUUID();
}

/**
 * Checks a job id from the path at the edge: anything the gateway cannot have issued is 404, the
 * same answer as an unknown id, without a look-up in Redis or the database.
 */
@Injectable()
export class JobIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!JOB_ID.test(value)) throw new NotFoundError('Job', 'id');
    return value;
  }
}
