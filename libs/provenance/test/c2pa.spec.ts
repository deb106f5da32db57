import { readProvenance } from '@switchyard/provenance';
import { buildFixtures } from './support/fixtures';

describe('readProvenance with C2PA', () => {
  let fixtures: Record<string, Buffer>;
  beforeAll(async () => {
    fixtures = await buildFixtures();
  });

  it.each([
    ['a JPEG APP11 segment', 'c2paJpeg', 'jpeg'],
    ['two JPEG APP11 segments', 'c2paSplitJpeg', 'jpeg'],
    ['a PNG caBX chunk', 'c2paPng', 'png'],
    ['a WebP C2PA chunk', 'c2paWebp', 'webp'],
  ])('reads a manifest in %s', async (_where, fixture, format) => {
    const report = await readProvenance(fixtures[fixture]);
    expect(report.unreadable).toEqual([]);
    expect(report.format).toBe(format);
    expect(report.c2pa).toMatchObject({
      claimGenerator: 'OpenAI DALL·E c2pa-rs/0.31',
      actions: ['c2pa.created'],
      digitalSourceTypes: ['http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia'],
    });
    expect(['invalid', 'unverified']).toContain(report.c2pa?.signature);
    expect(report.c2pa?.problems.length).toBeGreaterThan(0);
    expect(report.evidence.map((item) => item.kind)).toEqual(['c2pa.trainedAlgorithmicMedia', 'c2pa.generator']);
    expect(report.evidence[0]).toMatchObject({ source: 'c2pa', strength: 'strong' });
    expect(report.evidence[0].detail).toBe(
      'C2PA manifest by "OpenAI DALL·E c2pa-rs/0.31" declares c2pa.created with digitalSourceType trainedAlgorithmicMedia (made by a generative model)',
    );
  });
});
