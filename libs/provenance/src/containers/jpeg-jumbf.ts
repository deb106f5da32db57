import { ascii, concatBytes, readUint16BE, readUint32BE } from '../bytes';
import { MalformedMetadataError } from '../errors';
import { LIMITS } from '../limits';

/** The payload of one APP11 segment that starts with the JPEG XT common identifier "JP". */
export interface JumbfSegment {
  payload: Uint8Array;
  /** Where the segment starts in the file, for messages. */
  offset: number;
}

// CI (2) + box instance En (2) + sequence number Z (4), then each segment repeats the JUMBF box header.
const SEGMENT_HEADER = 8;

/**
 * Rebuilds the C2PA JUMBF superbox from APP11 segments (ISO 19566-5 / JPEG XT): segments of one box share
 * a box instance number, are ordered by sequence number, and each repeats the superbox's LBox/TBox header,
 * which only the first keeps.
 */
export function assembleJumbfSegments(segments: JumbfSegment[]): Uint8Array | undefined {
  const byInstance = new Map<number, { sequence: number; segment: JumbfSegment }[]>();
  for (const segment of segments) {
    if (segment.payload.length < SEGMENT_HEADER + 8) {
      throw new MalformedMetadataError('JPEG APP11', `segment at byte ${segment.offset} is too short for a JUMBF header`);
    }
    const instance = readUint16BE(segment.payload, 2);
    const group = byInstance.get(instance) ?? [];
    group.push({ sequence: readUint32BE(segment.payload, 4), segment });
    byInstance.set(instance, group);
  }
  for (const group of byInstance.values()) {
    const first = group[0].segment.payload;
    if (ascii(first, SEGMENT_HEADER + 4, 4) !== 'jumb') continue;
    group.sort((a, b) => a.sequence - b.sequence);
    const headerLength = readUint32BE(first, SEGMENT_HEADER) === 1 ? 16 : 8;
    const parts = group.map(({ segment }, index) => segment.payload.subarray(index === 0 ? SEGMENT_HEADER : SEGMENT_HEADER + headerLength));
    const jumbf = concatBytes(parts);
    if (jumbf.length > LIMITS.maxJumbfBytes) throw new MalformedMetadataError('JPEG APP11', 'JUMBF store over the size limit');
    return jumbf;
  }
  return undefined;
}
