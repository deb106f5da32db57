import { readProvenance } from '@switchyard/provenance';
import { baseJpeg } from './support/containers';
import { SIGNED_CLAIM_GENERATOR } from './support/fixtures';
import { TRAINED } from './support/jumbf';
import { signedJpeg } from './support/signed-manifest';

/** A copy of the file with one byte changed at the first occurrence of a string. */
function withByteChanged(bytes: Buffer, within: string, offset: number): Buffer {
  const at = bytes.indexOf(Buffer.from(within, 'utf8'));
  if (at < 0) throw new Error(`${within} is not in the file`);
  const out = Buffer.from(bytes);
  out[at + offset] ^= 0x01;
  return out;
}

describe('readProvenance with a C2PA manifest signed by c2pa-ts', () => {
  let signed: Buffer;
  beforeAll(async () => {
    signed = await signedJpeg(await baseJpeg(), SIGNED_CLAIM_GENERATOR);
  });

  it('reports a signature that validates as valid', async () => {
    const report = await readProvenance(signed);
    expect(report.unreadable).toEqual([]);
    expect(report.c2pa).toEqual({
      claimGenerator: SIGNED_CLAIM_GENERATOR,
      actions: ['c2pa.created'],
      digitalSourceTypes: [TRAINED],
      softwareAgents: [],
      signature: 'valid',
      problems: [],
    });
    expect(report.evidence.map((item) => item.kind)).toEqual(['c2pa.trainedAlgorithmicMedia', 'c2pa.generator']);
  });

  it('reports a signed claim with one byte changed as invalid, and still reads it', async () => {
    // The claim's instanceID ends in ...0002: make it ...0003, which keeps the CBOR well-formed.
    const report = await readProvenance(withByteChanged(signed, 'xmp:iid:7d9c1b2a-0000-4000-8000-000000000002', 43));
    expect(report.unreadable).toEqual([]);
    expect(report.c2pa).toMatchObject({ claimGenerator: SIGNED_CLAIM_GENERATOR, actions: ['c2pa.created'], signature: 'invalid' });
    expect(report.c2pa?.problems).toContain('claimSignature.mismatch');
    expect(report.evidence.map((item) => item.kind)).toEqual(['c2pa.trainedAlgorithmicMedia', 'c2pa.generator']);
  });

  it('reports an image whose bytes no longer match the data hash as invalid', async () => {
    const edited = Buffer.from(signed);
    edited[edited.length - 3] ^= 0x01; // in the entropy-coded scan, just before EOI
    const report = await readProvenance(edited);
    expect(report.c2pa).toMatchObject({ signature: 'invalid', actions: ['c2pa.created'] });
    expect(report.c2pa?.problems).toContain('assertion.dataHash.mismatch');
  });
});
