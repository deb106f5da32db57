// Near-duplicate lookups over perceptual hashes: ImageVerdictRepository's multi-index-hashing query
// (4 indexed 16-bit bands, every band value within floor(d/4) flips, OR-ed, then the exact
// bit_count) against a sequential bit_count scan, at 10⁴, 10⁵ and 10⁶ stored hashes. Both run the
// SQL the gateway builds (apps/gateway/src/database/near-duplicate-sql.ts, imported built) on a
// scratch database migrated with the committed migrations and dropped afterwards. Half the queries
// have a planted near duplicate within the distance, half are random (misses, almost surely).
//
//   npm run bench -- near-duplicates      (builds, then runs this file)
//   node bench/near-duplicates.bench.mjs  (after a build)
//   NEAR_DUPLICATE_SIZES=10000,100000 node bench/near-duplicates.bench.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import migrations from '@switchyard/db/dist/migrations.js';
import { fmt, percentile, seededRandom, temporaryDatabase } from './support/harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// CommonJS, built by `npm run build`.
const { default: nearSql } = await import(join(root, 'apps/gateway/dist/database/near-duplicate-sql.js'));
const { bandsOf, nearestByBandsQuery, nearestByScanQuery, toSignedInt64 } = nearSql;

const SIZES = (process.env.NEAR_DUPLICATE_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const QUERIES = 50;
const WARMUP = 5;
const MAX_DISTANCE = 10;
const PROJECT = 'default';

const random = seededRandom(20261230);
const random64 = () => {
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 16n) | BigInt(Math.floor(random() * 65536));
  return value;
};
const flipBits = (hash, count) => {
  const bits = new Set();
  while (bits.size < count) bits.add(Math.floor(random() * 64));
  let out = hash;
  for (const bit of bits) out ^= 1n << BigInt(bit);
  return out;
};

const database = await temporaryDatabase();
const client = new pg.Client({ connectionString: database.url });
await client.connect();
await migrations.applyMigrations({
  query: async (sql, params) => (await client.query(sql, params)).rows,
  exec: async (sql) => void (await client.query(sql)),
});
await client.query('SELECT setseed(0.2026)');

/** Random hashes [from, to) in SQL: two 32-bit halves, bands cut as the migration's CHECK says. */
async function fill(from, to) {
  await client.query(
    `INSERT INTO image_verdicts (id, project_id, sha256, phash, band0, band1, band2, band3, verdict, evidence, created_at)
     SELECT 'r' || g, $3, lpad(to_hex(g), 64, '0'), h,
            (h & 65535)::integer, ((h >> 16) & 65535)::integer, ((h >> 32) & 65535)::integer, ((h >> 48) & 65535)::integer,
            '{"label":"real"}'::jsonb, '{}'::jsonb, timestamp '2026-01-01' + g * interval '1 ms'
     FROM (SELECT g, (floor(random() * 4294967296)::bigint << 32) | floor(random() * 4294967296)::bigint AS h
           FROM generate_series($1::bigint, $2::bigint - 1) AS g) AS hashes`,
    [from, to, PROJECT],
  );
}

/** A stored row within 1..MAX_DISTANCE bits of `query`, as the repository would save it. */
async function plant(query, n) {
  const phash = flipBits(query, 1 + Math.floor(random() * MAX_DISTANCE));
  const [band0, band1, band2, band3] = bandsOf(phash);
  await client.query(
    `INSERT INTO image_verdicts (id, project_id, sha256, phash, band0, band1, band2, band3, verdict, evidence)
     VALUES ($1, $2, $3, $4::int8, $5, $6, $7, $8, '{"label":"ai"}', '{}')`,
    [`planted-${n}`, PROJECT, `f${n.toString(16).padStart(63, '0')}`, toSignedInt64(phash).toString(), band0, band1, band2, band3],
  );
}

async function time(query) {
  const t0 = performance.now();
  const { rows } = await client.query(query.text, query.values);
  return { ms: performance.now() - t0, row: rows[0] };
}

const results = [];
let stored = 0; // random rows so far
let planted = 0;
for (const size of SIZES) {
  const fillStart = performance.now();
  // Random rows up to `size` with the planted ones (earlier sizes' and this size's).
  const target = size - planted - QUERIES / 2;
  await fill(stored, target);
  stored = target;
  const queries = Array.from({ length: QUERIES }, () => random64());
  for (let i = 0; i < QUERIES / 2; i++) await plant(queries[i], planted++);
  await client.query('ANALYZE image_verdicts');
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const { rows } = await client.query('SELECT count(*)::integer AS count FROM image_verdicts');

  const mih = [];
  const scan = [];
  let mismatches = 0;
  let hits = 0;
  for (let i = -WARMUP; i < QUERIES; i++) {
    const query = queries[(i + QUERIES) % QUERIES];
    const a = await time(nearestByBandsQuery(PROJECT, query, MAX_DISTANCE));
    const b = await time(nearestByScanQuery(PROJECT, query, MAX_DISTANCE));
    if (i < 0) continue;
    mih.push(a.ms);
    scan.push(b.ms);
    if (a.row?.sha256 !== b.row?.sha256) mismatches += 1;
    if (a.row) hits += 1;
  }
  const sample = nearestByBandsQuery(PROJECT, queries[0], MAX_DISTANCE);
  const plan = (await client.query(`EXPLAIN ${sample.text}`, sample.values)).rows.map((row) => row['QUERY PLAN']).join('\n');
  const nodes = ['BitmapOr', 'Bitmap Index Scan', 'Seq Scan'].filter((node) => plan.includes(node));
  results.push({ size: rows[0].count, fillSeconds, mih, scan, mismatches, hits, nodes });
}
await client.end();
await database.drop();

console.log(
  `near duplicates: nearest stored perceptual hash within ${MAX_DISTANCE} bits, multi-index hashing (4×16-bit bands) vs a bit_count scan, ${QUERIES} queries (${QUERIES / 2} with a planted match), 1 client`,
);
for (const r of results) {
  const [m50, m99, s50, s99] = [percentile(r.mih, 50), percentile(r.mih, 99), percentile(r.scan, 50), percentile(r.scan, 99)];
  console.log(
    `${String(r.size).padStart(8)} rows (filled in ${fmt(r.fillSeconds, 1)} s)  ` +
      `MIH: p50 ${fmt(m50)} ms p99 ${fmt(m99)} ms | scan: p50 ${fmt(s50)} ms p99 ${fmt(s99)} ms | ` +
      `p50 ratio scan/MIH ${fmt(s50 / m50, 1)}x, p99 ${fmt(s99 / m99, 1)}x | hits ${r.hits}/${QUERIES}, answers differing ${r.mismatches} | MIH plan: ${r.nodes.join(', ')}`,
  );
}
