import { readC2pa } from './c2pa/read-c2pa';
import { readJpegBlocks } from './containers/jpeg';
import { readPngBlocks } from './containers/png';
import { readWebpBlocks } from './containers/webp';
import { InvalidProvenanceInputError, MalformedMetadataError } from './errors';
import { c2paEvidence } from './evidence/c2pa-evidence';
import { exifEvidence } from './evidence/exif-evidence';
import { hintEvidence } from './evidence/hint-evidence';
import { pngTextEvidence } from './evidence/png-text-evidence';
import { xmpEvidence } from './evidence/xmp-evidence';
import { readExifStrings } from './exif';
import { detectFormat } from './format';
import { emptyBlocks, type MetadataBlocks } from './metadata-blocks';
import type { EvidenceItem, ImageFormat, ProvenanceHints, ProvenanceReport } from './types';
import { readXmp } from './xmp';

const BLOCK_READERS: Record<ImageFormat, (bytes: Uint8Array) => MetadataBlocks> = {
  jpeg: readJpegBlocks,
  png: readPngBlocks,
  webp: readWebpBlocks,
  other: emptyBlocks,
};

const MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  other: 'application/octet-stream',
};

/**
 * Reads the evidence in an image file's metadata that a generator made or partly made it.
 * Malformed metadata is listed in `unreadable` rather than thrown; only a non-Uint8Array argument throws.
 */
export async function readProvenance(bytes: Uint8Array, hints: ProvenanceHints = {}): Promise<ProvenanceReport> {
  if (!(bytes instanceof Uint8Array)) throw new InvalidProvenanceInputError(bytes === null ? 'null' : typeof bytes);
  const format = detectFormat(bytes);
  const blocks = BLOCK_READERS[format](bytes);
  const unreadable = [...blocks.unreadable];
  const recordUnreadable = (error: unknown): undefined => {
    if (!(error instanceof MalformedMetadataError)) throw error;
    unreadable.push(error.message);
  };
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      return recordUnreadable(error);
    }
  };

  const evidence: EvidenceItem[] = [
    ...pngTextEvidence(blocks.textEntries),
    ...blocks.exif.flatMap((tiff) => attempt(() => exifEvidence(readExifStrings(tiff))) ?? []),
    ...blocks.xmpPackets.flatMap((packet) => attempt(() => xmpEvidence(readXmp(packet))) ?? []),
    ...hintEvidence(hints),
  ];
  const c2pa = blocks.c2paJumbf && (await readC2pa(bytes, blocks.c2paJumbf, MIME_TYPES[format]).catch(recordUnreadable));
  if (c2pa) evidence.push(...c2paEvidence(c2pa));
  return { format, evidence: rankEvidence(evidence), ...(c2pa && { c2pa }), unreadable };
}

/** Drops repeats (a file may carry the same block twice) and puts strong evidence first, keeping order otherwise. */
function rankEvidence(evidence: EvidenceItem[]): EvidenceItem[] {
  const seen = new Set<string>();
  const unique = evidence.filter((item) => {
    const key = `${item.source}\0${item.kind}\0${item.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return [...unique.filter((item) => item.strength === 'strong'), ...unique.filter((item) => item.strength === 'weak')];
}
