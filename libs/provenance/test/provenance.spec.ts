import { readProvenance, type ProvenanceReport } from '@switchyard/provenance';
import sharp from 'sharp';
import { baseJpeg, basePng, pngChunk, text, withPngChunks } from './support/containers';
import { A1111_PARAMETERS, buildFixtures } from './support/fixtures';

const kinds = (report: ProvenanceReport): string[] => report.evidence.map((item) => `${item.strength}:${item.kind}`);

describe('readProvenance', () => {
  let fixtures: Record<string, Buffer>;
  beforeAll(async () => {
    fixtures = await buildFixtures();
  });

  it('reads an A1111 parameters tEXt chunk as strong evidence', async () => {
    const report = await readProvenance(fixtures.a1111Png);
    expect(report.format).toBe('png');
    expect(kinds(report)).toEqual(['strong:png.parameters']);
    expect(report.evidence[0].detail).toContain('AUTOMATIC1111');
    expect(report.unreadable).toEqual([]);
  });

  it('reads a ComfyUI prompt graph', async () => {
    expect(kinds(await readProvenance(fixtures.comfyPng))).toEqual(['strong:png.prompt']);
  });

  it('ignores a prompt chunk that is not a JSON graph', async () => {
    const png = withPngChunks(await basePng(), [text('prompt', 'just words')]);
    expect((await readProvenance(png)).evidence).toEqual([]);
  });

  it('inflates a compressed iTXt chunk', async () => {
    expect(kinds(await readProvenance(fixtures.compressedItxtPng))).toEqual(['strong:png.invokeai_metadata']);
  });

  it('inflates a zTXt chunk', async () => {
    expect(kinds(await readProvenance(fixtures.ztxtPng))).toEqual(['strong:png.parameters']);
  });

  it('reads NovelAI Software', async () => {
    const png = withPngChunks(await basePng(), [text('Software', 'NovelAI')]);
    expect(kinds(await readProvenance(png))).toEqual(['strong:png.software.novelai']);
  });

  it('reads the digital source type from XMP in a PNG iTXt chunk (element form)', async () => {
    const report = await readProvenance(fixtures.xmpPng);
    expect(kinds(report)).toEqual(['strong:iptc.compositeWithTrainedAlgorithmicMedia']);
  });

  it('reads the digital source type from XMP in JPEG APP1, attribute and element forms', async () => {
    expect(kinds(await readProvenance(fixtures.xmpAttributeJpeg))).toEqual(['strong:iptc.trainedAlgorithmicMedia']);
    expect(kinds(await readProvenance(fixtures.xmpElementJpeg))).toEqual(['strong:iptc.compositeWithTrainedAlgorithmicMedia']);
  });

  it('matches generator names on whole words only', async () => {
    const organ = await sharp(await baseJpeg())
      .withExif({ IFD0: { Artist: 'Organ photographer', Software: 'Imagenet tools' } })
      .toBuffer();
    expect((await readProvenance(organ)).evidence).toEqual([]);
    const report = await readProvenance(fixtures.a1111Jpeg);
    expect(report.evidence).toEqual([
      { source: 'exif', kind: 'exif.software', strength: 'weak', detail: 'EXIF Software "Made with Midjourney" names Midjourney' },
    ]);
  });

  it('reads A1111 parameters from EXIF UserComment as strong evidence', async () => {
    const comment = Buffer.concat([Buffer.from('UNICODE\0'), Buffer.from(A1111_PARAMETERS, 'utf16le').swap16()]);
    const jpeg = await sharp(await baseJpeg())
      .withExif({ IFD0: { Software: 'x' } })
      .toBuffer();
    const report = await readProvenance(withUserComment(jpeg, comment));
    expect(kinds(report)).toContain('strong:exif.userComment.parameters');
  });

  it('leaves a camera JPEG without evidence', async () => {
    const camera = await sharp(await baseJpeg())
      .withExif({ IFD0: { Make: 'Canon', Model: 'Canon EOS R5', Software: 'Firmware 1.8.1' } })
      .toBuffer();
    const report = await readProvenance(camera);
    expect(report).toEqual({ format: 'jpeg', evidence: [], unreadable: [] });
  });

  it('reads filename and source URL hints as weak evidence', async () => {
    const png = await basePng();
    expect(kinds(await readProvenance(png, { filename: 'dalle-3_castle.png' }))).toEqual(['weak:filename.generator']);
    expect(kinds(await readProvenance(png, { filename: 'organic.png' }))).toEqual([]);
    const dalle = 'https://oaidalleapiprodscus.blob.core.windows.net/private/org/img-1.png?sig=x';
    expect(kinds(await readProvenance(png, { sourceUrl: dalle }))).toEqual(['weak:sourceUrl.host']);
    expect(kinds(await readProvenance(png, { sourceUrl: 'https://cdn.midjourney.com/abc/0_0.png' }))).toEqual(['weak:sourceUrl.generator']);
    expect(kinds(await readProvenance(png, { sourceUrl: 'https://example.com/comfyui/output/1.png' }))).toEqual(['weak:sourceUrl.generator']);
  });

  it('puts strong evidence first and drops duplicates', async () => {
    const png = withPngChunks(await basePng(), [
      text('Software', 'Stable Diffusion'),
      text('parameters', A1111_PARAMETERS),
      text('parameters', A1111_PARAMETERS),
    ]);
    expect(kinds(await readProvenance(png))).toEqual(['strong:png.parameters', 'weak:png.software']);
  });

  it('reports a chunk with a bad CRC and still reads the rest', async () => {
    const bad = pngChunk('tEXt', Buffer.from('Software\0Midjourney'));
    bad[bad.length - 1] ^= 0xff;
    const report = await readProvenance(withPngChunks(await basePng(), [bad, text('parameters', A1111_PARAMETERS)]));
    expect(kinds(report)).toEqual(['strong:png.parameters']);
    expect(report.unreadable).toEqual([expect.stringContaining('CRC mismatch')]);
  });

  it('throws only for input that is not bytes', async () => {
    await expect(readProvenance('not bytes' as unknown as Uint8Array)).rejects.toThrow('expects a Uint8Array');
  });
});

/** Rewrites the JPEG's EXIF with an Exif sub-IFD holding UserComment (sharp cannot write UNDEFINED tags). */
function withUserComment(jpeg: Buffer, comment: Buffer): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4 + 2 + 12 + 4);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(0x8769, 10);
  tiff.writeUInt16LE(4, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt32LE(26, 18);
  tiff.writeUInt16LE(1, 26);
  tiff.writeUInt16LE(0x9286, 28);
  tiff.writeUInt16LE(7, 30);
  tiff.writeUInt32LE(comment.length, 32);
  tiff.writeUInt32LE(tiff.length, 36);
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff, comment]);
  const segment = Buffer.from([0xff, 0xe1, 0, 0]);
  segment.writeUInt16BE(exif.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, exif, jpeg.subarray(2)]);
}
