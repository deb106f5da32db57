import { createHash } from 'node:crypto';
import { encodeCbor, type CborValue } from './cbor';

/** C2PA's JUMBF content-type UUIDs: a four-letter code followed by 0011-0010-8000-00AA00389B71. */
function c2paUuid(code: string): Buffer {
  return Buffer.concat([Buffer.from(code, 'latin1'), Buffer.from('00110010800000aa00389b71', 'hex')]);
}

function box(type: string, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
}

/** A JUMBF superbox: a description box (UUID, "requestable + label" toggles, label) then the content boxes. */
function superbox(uuidCode: string, label: string, children: Uint8Array[]): Buffer {
  const description = box('jumd', Buffer.concat([c2paUuid(uuidCode), Buffer.from([0x03]), Buffer.from(`${label}\0`, 'utf8')]));
  return box('jumb', Buffer.concat([description, ...children]));
}

function cborBox(uuidCode: string, label: string, value: CborValue): Buffer {
  return superbox(uuidCode, label, [box('cbor', encodeCbor(value))]);
}

export interface ManifestOptions {
  claimGenerator: string;
  actions: { action: string; digitalSourceType?: string; softwareAgent?: string }[];
}

/** A C2PA manifest store with one unsigned manifest: an actions assertion, a v1 claim and an empty signature. */
export function buildManifestStore({ claimGenerator, actions }: ManifestOptions): Buffer {
  const manifestLabel = 'urn:uuid:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
  const actionsBox = cborBox('cbor', 'c2pa.actions', {
    actions: actions.map(({ action, digitalSourceType, softwareAgent }) => ({
      action,
      ...(digitalSourceType && { digitalSourceType }),
      ...(softwareAgent && { softwareAgent }),
    })),
  });
  const claim = cborBox('c2cl', 'c2pa.claim', {
    claim_generator: claimGenerator,
    instanceID: 'xmp:iid:7d9c1b2a-0000-4000-8000-000000000001',
    'dc:format': 'image/jpeg',
    signature: `self#jumbf=/c2pa/${manifestLabel}/c2pa.signature`,
    assertions: [{ url: `self#jumbf=/c2pa/${manifestLabel}/c2pa.assertions/c2pa.actions`, hash: createHash('sha256').update(actionsBox.subarray(8)).digest() }],
    alg: 'sha256',
  });
  // A COSE_Sign1 (CBOR tag 18) whose protected header names ES256 (-7 is not encodable here, so it is pre-encoded) and whose signature is zeros.
  const protectedHeader = Buffer.from([0xa1, 0x01, 0x26]);
  const coseSign1 = Buffer.concat([Buffer.from([0xd2]), encodeCbor([protectedHeader, {}, new Uint8Array(0), new Uint8Array(64)])]);
  const signature = superbox('c2cs', 'c2pa.signature', [box('cbor', coseSign1)]);
  const manifest = superbox('c2ma', manifestLabel, [superbox('c2as', 'c2pa.assertions', [actionsBox]), claim, signature]);
  return superbox('c2pa', 'c2pa', [manifest]);
}

export const TRAINED = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';
