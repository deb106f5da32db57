import type { CBORBox, SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { MalformedMetadataError } from '../errors';
import type { C2paSummary } from '../types';
import type { C2paLibrary } from './c2pa-library';

export type DeclaredManifest = Omit<C2paSummary, 'signature' | 'problems'>;

export interface ActiveManifest {
  /** The manifest's JUMBF label, to check that c2pa-ts validated the same manifest. */
  label?: string;
  declared: DeclaredManifest;
  /** Whether the manifest has a c2pa.signature box with COSE content, whatever it holds. */
  hasSignature: boolean;
  problems: string[];
}

const C2PA_UUID_SUFFIX = [0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const ACTIONS_LABEL = /^c2pa\.actions(\.v2)?(__\d+)?$/;

/**
 * Reads what the active manifest declares straight from its JUMBF boxes, without c2pa-ts's Manifest model, which
 * rejects a whole manifest store when any part of it (most often the signature) does not parse. Nothing here is
 * verified: the caller asks c2pa-ts for the signature's verdict separately.
 */
export function readActiveManifest(library: C2paLibrary, store: SuperBox): ActiveManifest {
  const { SuperBox: SuperBoxClass, CBORBox: CBORBoxClass } = library.jumbf;
  const superboxes = (box: SuperBox): SuperBox[] => box.contentBoxes.filter((child): child is SuperBox => child instanceof SuperBoxClass);
  const byCode = (box: SuperBox, code: string): SuperBox[] => superboxes(box).filter((child) => uuidCode(child) === code);
  const cbor = (box: SuperBox): unknown => {
    const first = box.contentBoxes[0];
    return first instanceof CBORBoxClass ? (first as CBORBox).content : undefined;
  };

  if (uuidCode(store) !== 'c2pa') throw new MalformedMetadataError('C2PA manifest store', 'the JUMBF box is not a C2PA manifest store');
  const manifest = superboxes(store)
    .filter((box) => ['c2ma', 'c2um'].includes(uuidCode(box)))
    .at(-1);
  if (!manifest) throw new MalformedMetadataError('C2PA manifest store', 'no active manifest');
  const claimBox = byCode(manifest, 'c2cl')[0];
  const claim = claimBox && cbor(claimBox);
  if (!isRecord(claim)) throw new MalformedMetadataError('C2PA manifest store', 'the active manifest has no readable claim');

  const problems: string[] = [];
  const referenced = new Set(
    [claim.assertions, claim.created_assertions, claim.gathered_assertions]
      .flatMap((list) => (Array.isArray(list) ? list : []))
      .map((reference) => (isRecord(reference) && typeof reference.url === 'string' ? reference.url.match(/c2pa\.assertions\/([^/]+)$/)?.[1] : undefined))
      .filter((label): label is string => label !== undefined),
  );
  const actions: Record<string, unknown>[] = [];
  for (const assertionStore of byCode(manifest, 'c2as')) {
    for (const assertion of superboxes(assertionStore)) {
      const label = assertion.descriptionBox?.label ?? '';
      if (!ACTIONS_LABEL.test(label)) continue;
      if (!referenced.has(label)) {
        problems.push(`assertion ${label} is not referenced by the claim and was ignored`);
        continue;
      }
      const content = cbor(assertion);
      if (!isRecord(content) || !Array.isArray(content.actions)) {
        problems.push(`assertion ${label} has no readable actions`);
        continue;
      }
      const agents = Array.isArray(content.softwareAgents) ? content.softwareAgents : [];
      for (const action of content.actions) {
        if (!isRecord(action)) continue;
        const agent = action.softwareAgent ?? (typeof action.softwareAgentIndex === 'number' ? agents[action.softwareAgentIndex] : undefined);
        actions.push({ ...action, softwareAgent: typeof agent === 'string' ? agent : isRecord(agent) ? agent.name : undefined });
      }
    }
  }

  const generator = claimGenerator(claim);
  const signatureBox = byCode(manifest, 'c2cs')[0];
  return {
    label: manifest.descriptionBox?.label,
    declared: {
      ...(generator && { claimGenerator: generator }),
      actions: strings(actions.map((action) => action.action)),
      digitalSourceTypes: strings(actions.map((action) => action.digitalSourceType)).map((type) =>
        type.replace(/^https:\/\/cv\.iptc\.org\//i, 'http://cv.iptc.org/'),
      ),
      softwareAgents: strings(actions.map((action) => action.softwareAgent)),
    },
    hasSignature: signatureBox !== undefined && signatureBox.contentBoxes[0] instanceof CBORBoxClass,
    problems,
  };
}

/** v1 claims: claim_generator, else claim_generator_info[0].name; v2 claims: claim_generator_info.name. */
function claimGenerator(claim: Record<string, unknown>): string | undefined {
  if (typeof claim.claim_generator === 'string' && claim.claim_generator) return claim.claim_generator;
  const info = Array.isArray(claim.claim_generator_info) ? claim.claim_generator_info[0] : claim.claim_generator_info;
  return isRecord(info) && typeof info.name === 'string' && info.name ? info.name : undefined;
}

/** The four-letter code that starts a C2PA JUMBF content-type UUID, e.g. 'c2ma' for a manifest. */
function uuidCode(box: SuperBox): string {
  const uuid = box.descriptionBox?.uuid;
  if (!uuid || uuid.length !== 16 || !C2PA_UUID_SUFFIX.every((byte, index) => uuid[4 + index] === byte)) return '';
  return String.fromCharCode(...uuid.subarray(0, 4));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Distinct string values; a manifest's CBOR may hold anything where a string belongs. */
function strings(values: unknown[]): string[] {
  return [...new Set(values.filter((value): value is string => typeof value === 'string' && value !== ''))];
}
