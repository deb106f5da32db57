// The SQL of near-duplicate lookups over perceptual hashes, shared by ImageVerdictRepository and
// bench/near-duplicates.bench.mjs (which imports the built file), so the benchmark times exactly the
// query the gateway runs. No Nest or Prisma here: text and parameters, `$n` placeholders.
//
// Multi-index hashing: the 64-bit hash is cut into 4 bands of 16 bits (band0 = bits 0–15, …, band3 =
// bits 48–63), each indexed with the project. Two hashes within d bits differ, by the pigeonhole
// principle, in at most floor(d/4) bits on at least one band. So the candidates are the rows whose
// band i is one of the values within floor(d/4) bit flips of the query's band i, for some i: 4 lists
// of Σ_{k ≤ floor(d/4)} C(16, k) values (137 each for d = 10), OR-ed, which Postgres answers with a
// BitmapOr of index scans. The exact distance, bit_count(phash # hash), then keeps those within d.

const MASK_64 = (1n << 64n) - 1n;

export const BAND_COUNT = 4;
export const BAND_BITS = 16;
/** The largest distance a lookup accepts: 6 flips per band is already 14 893 values per band. */
export const MAX_NEAR_DUPLICATE_DISTANCE = 24;

export interface SqlQuery {
  readonly text: string;
  readonly values: unknown[];
}

function checkHash(hash: bigint): void {
  if (typeof hash !== 'bigint' || hash < 0n || hash > MASK_64) throw new RangeError(`not an unsigned 64-bit hash: ${String(hash)}`);
}

/** The unsigned hash as Postgres int8 holds it (two's complement). */
export function toSignedInt64(hash: bigint): bigint {
  checkHash(hash);
  return BigInt.asIntN(64, hash);
}

/** An int8 from Postgres back to the unsigned hash. */
export function fromSignedInt64(value: bigint | number | string): bigint {
  return BigInt.asUintN(64, BigInt(value));
}

/** The hash's 4 bands of 16 bits, band0 the least significant (the migration's CHECK says the same). */
export function bandsOf(hash: bigint): [number, number, number, number] {
  checkHash(hash);
  return [0, 1, 2, 3].map((band) => Number((hash >> BigInt(band * BAND_BITS)) & 0xffffn)) as [number, number, number, number];
}

/** Every 16-bit value within `radius` bit flips of `value`, `value` first. */
export function bandNeighbours(value: number, radius: number): number[] {
  const out = [value];
  const flip = (from: number, start: number, left: number) => {
    for (let bit = start; bit < BAND_BITS; bit++) {
      const next = from ^ (1 << bit);
      out.push(next);
      if (left > 1) flip(next, bit + 1, left - 1);
    }
  };
  if (radius > 0) flip(value, 0, radius);
  return out;
}

function checkDistance(maxDistance: number): void {
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > MAX_NEAR_DUPLICATE_DISTANCE) {
    throw new RangeError(`maxDistance must be an integer in 0..${MAX_NEAR_DUPLICATE_DISTANCE}, not ${maxDistance}`);
  }
}

function checkTable(table: string): void {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) throw new RangeError(`not a plain table name: ${table}`);
}

/** The columns both lookups answer, with `distance` the Hamming distance to the query. */
const COLUMNS = 'sha256, phash, verdict, evidence, score, job_id, created_at';

export interface NearestOptions {
  /** Leave out this image (the one being looked up, when it is already stored). */
  readonly excludeSha256?: string;
  /** The table: `image_verdicts` unless the benchmark's scratch copy. */
  readonly table?: string;
}

/**
 * The closest row of the project within `maxDistance` bits of `hash` (ties: newest first), by
 * multi-index hashing. Throws a RangeError for a distance outside 0..24.
 */
export function nearestByBandsQuery(projectId: string, hash: bigint, maxDistance: number, options: NearestOptions = {}): SqlQuery {
  const radius = Math.floor(maxDistance / BAND_COUNT);
  return nearestQuery(projectId, hash, maxDistance, options, (values) => {
    const bands = bandsOf(hash).map((band, i) => {
      // As an array literal: one text parameter is far cheaper to pass than thousands of numbers.
      values.push(`{${bandNeighbours(band, radius).join(',')}}`);
      return `band${i} = ANY($${values.length}::integer[])`;
    });
    return `(${bands.join(' OR ')})`;
  });
}

/** The same answer as {@link nearestByBandsQuery} by a scan of every row of the project (the baseline). */
export function nearestByScanQuery(projectId: string, hash: bigint, maxDistance: number, options: NearestOptions = {}): SqlQuery {
  return nearestQuery(projectId, hash, maxDistance, options);
}

/** The nearest row within `maxDistance`, among the rows `candidates` (a condition it adds, with its parameters) selects. */
function nearestQuery(projectId: string, hash: bigint, maxDistance: number, options: NearestOptions, candidates?: (values: unknown[]) => string): SqlQuery {
  checkDistance(maxDistance);
  const table = options.table ?? 'image_verdicts';
  checkTable(table);
  const values: unknown[] = [projectId, toSignedInt64(hash).toString(), maxDistance];
  const conditions = ['project_id = $1'];
  if (candidates) conditions.push(candidates(values));
  if (options.excludeSha256 !== undefined) {
    values.push(options.excludeSha256);
    conditions.push(`sha256 <> $${values.length}`);
  }
  conditions.push('bit_count((phash # $2::int8)::bit(64)) <= $3');
  const text =
    `SELECT ${COLUMNS}, bit_count((phash # $2::int8)::bit(64))::integer AS distance FROM ${table}` +
    ` WHERE ${conditions.join(' AND ')} ORDER BY distance, created_at DESC, id LIMIT 1`;
  return { text, values };
}
