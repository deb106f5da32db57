import type { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import type { Manifest } from '@trustnxt/c2pa-ts/manifest';
import { MalformedMetadataError } from '../errors';
import type { C2paSummary } from '../types';
import { BytesAsset } from './bytes-asset';
import { type C2paLibrary, loadC2paLibrary } from './c2pa-library';
import { type ActiveManifest, readActiveManifest } from './declared-manifest';

type Verdict = Pick<C2paSummary, 'signature' | 'problems'>;

/**
 * Reads what the active manifest of a C2PA manifest store declares, then asks c2pa-ts whether it validates.
 * The declarations are read from the JUMBF boxes directly, so an unsigned, damaged or untrusted manifest still
 * yields its claim generator and actions; only c2pa-ts's passing validation makes the signature 'valid'.
 */
export async function readC2pa(bytes: Uint8Array, jumbf: Uint8Array, mimeType: string): Promise<C2paSummary> {
  const library = await loadC2paLibrary();
  let store: SuperBox;
  let active: ActiveManifest;
  try {
    store = library.jumbf.SuperBox.fromBuffer(new Uint8Array(jumbf));
    active = readActiveManifest(library, store);
  } catch (error) {
    if (error instanceof MalformedMetadataError) throw error;
    // c2pa-ts throws plain Errors and TypeErrors as well as its own for boxes it cannot parse.
    throw new MalformedMetadataError('C2PA manifest store', describe(error), { cause: error });
  }
  const verdict = await verify(library, store, active, new BytesAsset(bytes, jumbf, mimeType));
  return { ...active.declared, signature: verdict.signature, problems: [...verdict.problems, ...active.problems] };
}

async function verify(library: C2paLibrary, store: SuperBox, active: ActiveManifest, asset: BytesAsset): Promise<Verdict> {
  if (!active.hasSignature) return { signature: 'unverified', problems: ['claimSignature.missing: the active manifest has no signature'] };
  let manifest: Manifest | undefined;
  try {
    manifest = library.manifest.ManifestStore.read(store).getActiveManifest();
  } catch (error) {
    // Manifest.read parses the COSE signature and its certificate; a failure there means the signature is present but bad.
    const code = (error as { code?: unknown }).code;
    const aboutSignature = typeof code === 'string' && /^(signingCredential|claimSignature|algorithm|timeStamp)\./.test(code);
    const problem = `c2pa-ts could not read the manifest store: ${describe(error)}`;
    return aboutSignature ? { signature: 'invalid', problems: [problem] } : { signature: 'unverified', problems: [problem] };
  }
  if (!manifest || manifest.label !== active.label) {
    return { signature: 'unverified', problems: ['c2pa-ts did not find the same active manifest'] };
  }
  try {
    const result = await manifest.validate(asset);
    const problems = result.statusEntries
      .filter((entry) => entry.success === false)
      .map((entry) => (entry.explanation ? `${entry.code}: ${entry.explanation}` : entry.code));
    if (result.isValid) return { signature: 'valid', problems };
    return { signature: 'invalid', problems: problems.length > 0 ? problems : ['the manifest does not validate'] };
  } catch (error) {
    return { signature: 'unverified', problems: [`validation failed: ${describe(error)}`] };
  }
}

/** c2pa-ts's ValidationError carries its status code and often no message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return [typeof code === 'string' ? code : undefined, error.message].filter(Boolean).join(': ') || error.name;
}
