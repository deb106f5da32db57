import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Database } from '@switchyard/db';
import { DATABASE } from '../infra/tokens';
import { bandsOf, fromSignedInt64, nearestByBandsQuery, toSignedInt64 } from './near-duplicate-sql';

/** Any JSON value, as Postgres jsonb returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A verdict on an image of a project, as stored. */
export interface StoredVerdict {
  /** SHA-256 of the image bytes, 64 lowercase hex digits. */
  readonly sha256: string;
  /** The unsigned 64-bit perceptual hash (libs/image-detection's `perceptualHash`). */
  readonly phash: bigint;
  /** The answer the API returns for the image. */
  readonly verdict: JsonValue;
  readonly evidence: JsonValue;
  readonly score: number | null;
  /** The job that produced it, if any (jobs expire; verdicts stay). */
  readonly jobId: string | null;
  readonly createdAt: Date;
}

/** What {@link ImageVerdictRepository.save} stores. */
export interface VerdictRecord {
  readonly projectId: string;
  readonly sha256: string;
  readonly phash: bigint;
  readonly verdict: JsonValue;
  readonly evidence: JsonValue;
  readonly score?: number | null;
  readonly jobId?: string | null;
}

export interface NearestVerdict {
  readonly sha256: string;
  /** Bits in which the stored hash differs from the query (0..maxDistance). */
  readonly distance: number;
  readonly verdict: StoredVerdict;
}

interface VerdictRow {
  sha256: string;
  phash: bigint | number | string;
  verdict: JsonValue;
  evidence: JsonValue;
  score: number | null;
  job_id: string | null;
  created_at: Date;
}

const SHA256 = /^[0-9a-f]{64}$/;

function checkSha256(sha256: string): void {
  if (!SHA256.test(sha256)) throw new RangeError(`a SHA-256 is 64 lowercase hex digits, not ${JSON.stringify(sha256)}`);
}

function fromRow(row: VerdictRow): StoredVerdict {
  return {
    sha256: row.sha256,
    phash: fromSignedInt64(row.phash),
    verdict: row.verdict,
    evidence: row.evidence,
    score: row.score,
    jobId: row.job_id,
    createdAt: row.created_at,
  };
}

function fromModel(row: Prisma.ImageVerdictGetPayload<object>): StoredVerdict {
  return fromRow({ ...row, job_id: row.jobId, created_at: row.createdAt, verdict: row.verdict as JsonValue, evidence: row.evidence as JsonValue });
}

/** Prisma writes JSON null as a marker, not as `null`. */
function jsonInput(value: JsonValue): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  return value === null ? Prisma.JsonNull : (value as Prisma.InputJsonValue);
}

/**
 * Verdicts on images in Postgres, per project: every query filters on the project, so one
 * project's images never answer another's. Exact repeats are found by SHA-256, near duplicates by
 * perceptual hash with multi-index hashing (see near-duplicate-sql.ts).
 */
@Injectable()
export class ImageVerdictRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async findBySha256(projectId: string, sha256: string): Promise<StoredVerdict | undefined> {
    const row = await this.database.prisma.imageVerdict.findUnique({ where: { projectId_sha256: { projectId, sha256 } } });
    return row ? fromModel(row) : undefined;
  }

  /**
   * The project's stored verdict whose hash is closest to `hash`, if one is within `maxDistance`
   * bits (ties: the newest). `excludeSha256` leaves out the image itself. Throws a RangeError for
   * a `maxDistance` outside 0..24 (the band enumeration grows fast) or a hash outside [0, 2⁶⁴).
   */
  async findNearest(projectId: string, hash: bigint, maxDistance: number, options: { excludeSha256?: string } = {}): Promise<NearestVerdict | undefined> {
    const query = nearestByBandsQuery(projectId, hash, maxDistance, { excludeSha256: options.excludeSha256 });
    const [row] = await this.database.prisma.$queryRawUnsafe<(VerdictRow & { distance: number })[]>(query.text, ...query.values);
    if (!row) return undefined;
    return { sha256: row.sha256, distance: Number(row.distance), verdict: fromRow(row) };
  }

  /**
   * Stores the verdict on an image of the project, replacing the one stored for the same SHA-256
   * (the replaced row keeps its id and `createdAt`). Answers what is stored.
   */
  async save(record: VerdictRecord): Promise<StoredVerdict> {
    checkSha256(record.sha256);
    const [band0, band1, band2, band3] = bandsOf(record.phash);
    const fields = {
      phash: toSignedInt64(record.phash),
      band0,
      band1,
      band2,
      band3,
      verdict: jsonInput(record.verdict),
      evidence: jsonInput(record.evidence),
      score: record.score ?? null,
      jobId: record.jobId ?? null,
    };
    const row = await this.database.prisma.imageVerdict.upsert({
      where: { projectId_sha256: { projectId: record.projectId, sha256: record.sha256 } },
      create: { id: randomUUID(), projectId: record.projectId, sha256: record.sha256, ...fields },
      update: fields,
    });
    return fromModel(row);
  }
}
