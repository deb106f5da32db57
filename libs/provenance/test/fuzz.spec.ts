import { readProvenance } from '@switchyard/provenance';
import { seededRandom } from '@switchyard/testing';
import { buildFixtures } from './support/fixtures';

type Mutation = (bytes: Buffer, random: () => number) => Buffer;

const at = (bytes: Buffer, random: () => number): number => Math.floor(random() * bytes.length);

const MUTATIONS: Record<string, Mutation> = {
  flipBit: (bytes, random) => {
    const out = Buffer.from(bytes);
    out[at(out, random)] ^= 1 << Math.floor(random() * 8);
    return out;
  },
  truncate: (bytes, random) => bytes.subarray(0, at(bytes, random)),
  insertByte: (bytes, random) => {
    const index = at(bytes, random);
    return Buffer.concat([bytes.subarray(0, index), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(index)]);
  },
  hugeLength: (bytes, random) => {
    const out = Buffer.from(bytes);
    out.writeUInt32BE(0xfffffff0, Math.min(at(out, random), out.length - 4));
    return out;
  },
  duplicateRange: (bytes, random) => {
    const start = at(bytes, random);
    const end = Math.min(bytes.length, start + 1 + Math.floor(random() * 400));
    return Buffer.concat([bytes.subarray(0, end), bytes.subarray(start, end), bytes.subarray(end)]);
  },
};

describe('readProvenance on mutated files', () => {
  it('never throws and always returns a well-formed report', async () => {
    const fixtures = await buildFixtures();
    const random = seededRandom(20250101);
    let cases = 0;
    for (const [name, original] of Object.entries(fixtures)) {
      for (const [mutationName, mutate] of Object.entries(MUTATIONS)) {
        for (let i = 0; i < 40; i++) {
          const bytes = mutate(original, random);
          const report = await readProvenance(bytes).catch((error: unknown) => {
            throw new Error(`${name} ${mutationName} #${i} threw`, { cause: error });
          });
          expect(['jpeg', 'png', 'webp', 'other']).toContain(report.format);
          expect(Array.isArray(report.evidence) && Array.isArray(report.unreadable)).toBe(true);
          cases++;
        }
      }
    }
    expect(cases).toBe(Object.keys(fixtures).length * Object.keys(MUTATIONS).length * 40);
  });
});
