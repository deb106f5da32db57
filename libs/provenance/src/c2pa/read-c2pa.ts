import type { Action, Manifest } from '@trustnxt/c2pa-ts/manifest';
import { MalformedMetadataError } from '../errors';
import type { C2paSummary } from '../types';
import { BytesAsset } from './bytes-asset';
import { loadC2paLibrary } from './c2pa-library';

const ACTION_LABELS = ['c2pa.actions', 'c2pa.actions.v2'];

/** Reads and validates the active manifest of a C2PA manifest store. */
export async function readC2pa(bytes: Uint8Array, jumbf: Uint8Array, mimeType: string): Promise<C2paSummary> {
  const { jumbf: jumbfModule, manifest: manifestModule } = await loadC2paLibrary();
  let manifest: Manifest | undefined;
  let declared: Omit<C2paSummary, 'signature' | 'problems'> | undefined;
  try {
    manifest = manifestModule.ManifestStore.read(jumbfModule.SuperBox.fromBuffer(new Uint8Array(jumbf))).getActiveManifest();
    if (manifest) declared = summarise(manifest);
  } catch (error) {
    // c2pa-ts throws plain Errors and TypeErrors as well as its own for boxes it cannot parse.
    throw new MalformedMetadataError('C2PA manifest store', describe(error), { cause: error });
  }
  if (!manifest || !declared) throw new MalformedMetadataError('C2PA manifest store', 'no active manifest');
  return { ...declared, ...(await validate(manifest, new BytesAsset(bytes, jumbf, mimeType))) };
}

function summarise(manifest: Manifest): Omit<C2paSummary, 'signature' | 'problems'> {
  const actions = (manifest.assertions?.assertions ?? [])
    .filter((assertion) => ACTION_LABELS.includes(assertion.label ?? ''))
    .flatMap((assertion) => (assertion as { actions?: Action[] }).actions ?? []);
  const generator = manifest.claim?.claimGeneratorName;
  return {
    ...(typeof generator === 'string' && generator && { claimGenerator: generator }),
    actions: strings(actions.map((action) => action.action)),
    digitalSourceTypes: strings(actions.map((action) => action.digitalSourceType)),
    softwareAgents: strings(actions.map((action) => action.softwareAgent?.name)),
  };
}

async function validate(manifest: Manifest, asset: BytesAsset): Promise<Pick<C2paSummary, 'signature' | 'problems'>> {
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

/** Distinct string values; a manifest's CBOR may hold anything where a string belongs. */
function strings(values: unknown[]): string[] {
  return [...new Set(values.filter((value): value is string => typeof value === 'string'))];
}

/** c2pa-ts's ValidationError carries its status code and often no message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return [typeof code === 'string' ? code : undefined, error.message].filter(Boolean).join(': ') || error.name;
}
