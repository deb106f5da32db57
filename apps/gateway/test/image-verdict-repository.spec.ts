import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@switchyard/db';
import { createTemporaryPostgresDatabase } from '@switchyard/db/src/testing';
import { seededRandom } from '@switchyard/testing/src/seeded-random';
import { ImageVerdictRepository } from '../src/database/image-verdict.repository';
import { bandNeighbours, bandsOf, fromSignedInt64, toSignedInt64 } from '../src/database/near-duplicate-sql';

const MASK_64 = (1n << 64n) - 1n;

function popCount32(value: number): number {
  let count = 0;
  for (let v = value >>> 0; v; v >>>= 1) count += v & 1;
  return count;
}

const popCount = (value: bigint): number => popCount32(Number(value & 0xffffffffn)) + popCount32(Number((value >> 32n) & 0xffffffffn));

const sha = (n: number) => n.toString(16).padStart(64, '0');

/** `hash` with `count` distinct bits flipped, chosen by `random`. */
function flipBits(hash: bigint, count: number, random: () => number): bigint {
  const bits = new Set<number>();
  while (bits.size < count) bits.add(Math.floor(random() * 64));
  let out = hash;
  for (const bit of bits) out ^= 1n << BigInt(bit);
  return out;
}

/** `hash` with `distance` bits flipped spread as evenly as possible over the 4 bands: the case the pigeonhole bound is tight for. */
function spreadFlips(hash: bigint, distance: number, random: () => number): bigint {
  let out = hash;
  for (let band = 0; band < 4; band++) {
    const inBand = Math.floor(distance / 4) + (band < distance % 4 ? 1 : 0);
    const bits = new Set<number>();
    while (bits.size < inBand) bits.add(Math.floor(random() * 16));
    for (const bit of bits) out ^= 1n << BigInt(band * 16 + bit);
  }
  return out;
}

describe('near-duplicate SQL helpers', () => {
  it('stores the unsigned hash as two’s complement int8 and cuts it into 16-bit bands', () => {
    expect(toSignedInt64(MASK_64)).toBe(-1n);
    expect(toSignedInt64(1n << 63n)).toBe(-(1n << 63n));
    expect(fromSignedInt64(-1n)).toBe(MASK_64);
    expect(fromSignedInt64('-9223372036854775808')).toBe(1n << 63n);
    expect(bandsOf(0x0123456789abcdefn)).toEqual([0xcdef, 0x89ab, 0x4567, 0x0123]);
    expect(() => toSignedInt64(1n << 64n)).toThrow(RangeError);
  });

  it('enumerates every band value within r flips exactly once', () => {
    const counts = [1, 17, 137, 697];
    for (let radius = 0; radius <= 3; radius++) {
      const values = bandNeighbours(0xa5c3, radius);
      expect(values).toHaveLength(counts[radius]);
      expect(new Set(values).size).toBe(values.length);
      expect(values.every((value) => value >= 0 && value <= 0xffff && popCount(BigInt(value ^ 0xa5c3)) <= radius)).toBe(true);
    }
    expect(bandNeighbours(0, 6)).toHaveLength(14893);
  });
});

describe('ImageVerdictRepository', () => {
  let temp: Awaited<ReturnType<typeof createTemporaryPostgresDatabase>>;
  let database: Database;
  let repository: ImageVerdictRepository;

  beforeAll(async () => {
    temp = await createTemporaryPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url: temp.url });
    repository = new ImageVerdictRepository(database);
    await database.prisma.project.createMany({
      data: ['alpha', 'beta', 'random'].map((id) => ({ id, name: id })),
    });
  });

  afterAll(async () => {
    await database.close();
    await temp.drop();
  });

  const verdict = (label: string) => ({ label, aiGenerated: label === 'ai', score: 0.5 });

  it('finds a stored verdict by SHA-256, with its hash unchanged (top bit set too)', async () => {
    const phash = 0xfedcba9876543210n;
    const saved = await repository.save({
      projectId: 'alpha',
      sha256: sha(1),
      phash,
      verdict: verdict('ai'),
      evidence: { c2pa: null, exif: ['Software'] },
      score: 0.93,
      jobId: 'job-1',
    });
    const found = await repository.findBySha256('alpha', sha(1));
    expect(found).toEqual(saved);
    expect(found).toMatchObject({ sha256: sha(1), phash, verdict: verdict('ai'), evidence: { c2pa: null, exif: ['Software'] }, score: 0.93, jobId: 'job-1' });
    expect(found?.createdAt).toBeInstanceOf(Date);
  });

  it('misses an unknown SHA-256 and a hash far from every stored one', async () => {
    expect(await repository.findBySha256('alpha', sha(999))).toBeUndefined();
    expect(await repository.findNearest('alpha', ~0xfedcba9876543210n & MASK_64, 24)).toBeUndefined();
  });

  it('replaces the verdict stored for the same image (upsert on project and SHA-256)', async () => {
    await repository.save({ projectId: 'alpha', sha256: sha(2), phash: 5n, verdict: verdict('real'), evidence: {} });
    const first = await repository.findBySha256('alpha', sha(2));
    const second = await repository.save({ projectId: 'alpha', sha256: sha(2), phash: 7n, verdict: null, evidence: [1, 2], score: 0.1 });
    expect(second).toMatchObject({ phash: 7n, verdict: null, evidence: [1, 2], score: 0.1, jobId: null, createdAt: first?.createdAt });
    expect(await database.prisma.imageVerdict.count({ where: { projectId: 'alpha', sha256: sha(2) } })).toBe(1);
    await expect(repository.save({ projectId: 'alpha', sha256: 'ABC', phash: 1n, verdict: {}, evidence: {} })).rejects.toThrow(RangeError);
  });

  it('finds a near duplicate within the distance, with the distance, and not one just beyond it', async () => {
    const stored = 0x0f0f_3c3c_5a5a_9999n;
    await repository.save({ projectId: 'alpha', sha256: sha(3), phash: stored, verdict: verdict('ai'), evidence: {} });
    const random = seededRandom(3);
    for (const distance of [0, 1, 4, 7, 10]) {
      const query = flipBits(stored, distance, random);
      const nearest = await repository.findNearest('alpha', query, 10);
      expect(nearest).toMatchObject({ sha256: sha(3), distance, verdict: { phash: stored, verdict: verdict('ai') } });
    }
    expect(await repository.findNearest('alpha', spreadFlips(stored, 10, random), 10)).toMatchObject({ sha256: sha(3), distance: 10 });
    expect(await repository.findNearest('alpha', flipBits(stored, 11, random), 10)).toBeUndefined();
    expect(await repository.findNearest('alpha', spreadFlips(stored, 11, random), 10)).toBeUndefined();
    expect(await repository.findNearest('alpha', stored, 10, { excludeSha256: sha(3) })).toBeUndefined();
  });

  it('chooses the nearest of several, and the newest of equally near ones', async () => {
    const centre = 0x1234_5678_9abc_def0n;
    const rows = [
      { n: 10, phash: centre ^ 0b1111n },
      { n: 11, phash: centre ^ 0b11n },
      { n: 12, phash: centre ^ (0b111n << 40n) },
    ];
    for (const row of rows) await repository.save({ projectId: 'alpha', sha256: sha(row.n), phash: row.phash, verdict: { n: row.n }, evidence: {} });
    expect(await repository.findNearest('alpha', centre, 10)).toMatchObject({ sha256: sha(11), distance: 2 });
    expect(await repository.findNearest('alpha', centre, 10, { excludeSha256: sha(11) })).toMatchObject({ sha256: sha(12), distance: 3 });
    // Two at distance 2: the newer one wins, whichever order they were saved in.
    await repository.save({ projectId: 'alpha', sha256: sha(13), phash: centre ^ (0b11n << 60n), verdict: { n: 13 }, evidence: {} });
    await database.prisma.imageVerdict.update({
      where: { projectId_sha256: { projectId: 'alpha', sha256: sha(13) } },
      data: { createdAt: new Date(2020, 0, 1) },
    });
    expect(await repository.findNearest('alpha', centre, 10)).toMatchObject({ sha256: sha(11), distance: 2 });
    await database.prisma.imageVerdict.update({
      where: { projectId_sha256: { projectId: 'alpha', sha256: sha(13) } },
      data: { createdAt: new Date(2099, 0, 1) },
    });
    expect(await repository.findNearest('alpha', centre, 10)).toMatchObject({ sha256: sha(13), distance: 2 });
  });

  it('keeps projects apart: another project’s verdict is found neither by SHA-256 nor by hash', async () => {
    const phash = 0x7777_0000_ffff_1111n;
    await repository.save({ projectId: 'beta', sha256: sha(20), phash, verdict: verdict('beta'), evidence: {} });
    expect(await repository.findBySha256('alpha', sha(20))).toBeUndefined();
    expect(await repository.findNearest('alpha', phash, 24)).toBeUndefined();
    expect(await repository.findNearest('beta', phash, 0)).toMatchObject({ sha256: sha(20), distance: 0 });
    // The same image in two projects: each has its own verdict.
    await repository.save({ projectId: 'alpha', sha256: sha(20), phash, verdict: verdict('alpha'), evidence: {} });
    expect((await repository.findBySha256('beta', sha(20)))?.verdict).toEqual(verdict('beta'));
    expect((await repository.findNearest('alpha', phash, 0))?.verdict.verdict).toEqual(verdict('alpha'));
  });

  it('refuses a distance outside 0..24', async () => {
    for (const distance of [-1, 25, 64, 2.5, Number.NaN]) {
      await expect(repository.findNearest('alpha', 1n, distance)).rejects.toThrow(RangeError);
    }
    await expect(repository.findNearest('alpha', -1n, 10)).rejects.toThrow(RangeError);
    await expect(repository.findNearest('nobody', 1n, 24)).resolves.toBeUndefined();
  });

  it('answers as a brute-force scan does, for random rows and queries at many distances', async () => {
    const random = seededRandom(20261230);
    const random64 = () => {
      let value = 0n;
      for (let i = 0; i < 4; i++) value = (value << 16n) | BigInt(Math.floor(random() * 65536));
      return value;
    };
    // Random hashes, plus clusters of near copies so that queries meet several candidates at once.
    const rows: { sha256: string; phash: bigint; createdAt: Date }[] = [];
    const base = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 1500; i++) {
      const phash = i % 3 === 0 && rows.length ? flipBits(rows[Math.floor(random() * rows.length)].phash, 1 + Math.floor(random() * 14), random) : random64();
      rows.push({ sha256: sha(100_000 + i), phash, createdAt: new Date(base + Math.floor(random() * 1e9)) });
    }
    await database.prisma.imageVerdict.createMany({
      data: rows.map((row, i) => {
        const [band0, band1, band2, band3] = bandsOf(row.phash);
        return {
          id: `r${i}`,
          projectId: 'random',
          sha256: row.sha256,
          phash: toSignedInt64(row.phash),
          band0,
          band1,
          band2,
          band3,
          verdict: { i },
          evidence: {},
          createdAt: row.createdAt,
        };
      }),
    });
    const bruteForce = (query: bigint, maxDistance: number) => {
      let best: { sha256: string; distance: number; createdAt: number } | undefined;
      for (const row of rows) {
        const distance = popCount(row.phash ^ query);
        if (distance > maxDistance) continue;
        if (!best || distance < best.distance || (distance === best.distance && row.createdAt.getTime() > best.createdAt)) {
          best = { sha256: row.sha256, distance, createdAt: row.createdAt.getTime() };
        }
      }
      return best && { sha256: best.sha256, distance: best.distance };
    };
    let found = 0;
    let compared = 0;
    for (const maxDistance of [0, 1, 3, 4, 5, 8, 10, 12, 16, 20, 24]) {
      for (let q = 0; q < 30; q++) {
        const anchor = rows[Math.floor(random() * rows.length)].phash;
        const kind = q % 3;
        const offset = Math.floor(random() * (maxDistance + 3));
        const query = kind === 0 ? random64() : kind === 1 ? flipBits(anchor, Math.min(64, offset), random) : spreadFlips(anchor, offset, random);
        const expected = bruteForce(query, maxDistance);
        const actual = await repository.findNearest('random', query, maxDistance);
        expect({ maxDistance, query: query.toString(16), result: actual && { sha256: actual.sha256, distance: actual.distance } }).toEqual({
          maxDistance,
          query: query.toString(16),
          result: expected,
        });
        compared += 1;
        if (expected) found += 1;
      }
    }
    expect(compared).toBe(330);
    // Most planted queries have a match: the comparison is not only of misses.
    expect(found).toBeGreaterThan(150);
  }, 120_000);
});

describe('ImageVerdictRepository on embedded PGlite', () => {
  it('stores and finds near duplicates there too (bit_count and the band query work on PGlite)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sy-verdicts-'));
    const database = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const repository = new ImageVerdictRepository(database);
      const phash = 0x8000_0000_0000_0001n;
      await repository.save({ projectId: 'default', sha256: sha(1), phash, verdict: { ok: true }, evidence: {}, score: 0.25 });
      expect(await repository.findBySha256('default', sha(1))).toMatchObject({ phash, verdict: { ok: true }, score: 0.25 });
      expect(await repository.findNearest('default', phash ^ 0b1011n, 10)).toMatchObject({ sha256: sha(1), distance: 3 });
      expect(await repository.findNearest('default', phash ^ 0xfffn, 10)).toBeUndefined();
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
