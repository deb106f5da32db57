import { decodeUtf8, readUint16BE, startsWith } from '../bytes';
import { MalformedMetadataError } from '../errors';
import { LIMITS } from '../limits';
import { emptyBlocks, type MetadataBlocks } from '../metadata-blocks';
import { assembleJumbfSegments, type JumbfSegment } from './jpeg-jumbf';

const APP1 = 0xe1;
const APP11 = 0xeb;
const START_OF_SCAN = 0xda;
const END_OF_IMAGE = 0xd9;
const EXIF_HEADER = 'Exif\0\0';
const XMP_HEADER = 'http://ns.adobe.com/xap/1.0/\0';

/** Markers that stand alone, without a length field: TEM and RST0–RST7. */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/** Walks the segments before the first scan, where JPEG keeps its metadata. */
export function readJpegBlocks(bytes: Uint8Array): MetadataBlocks {
  const blocks = emptyBlocks();
  const jumbfSegments: JumbfSegment[] = [];
  try {
    let offset = 2;
    for (let visited = 0; offset < bytes.length; visited++) {
      if (visited >= LIMITS.maxBlocks) throw new MalformedMetadataError('JPEG', `more than ${LIMITS.maxBlocks} segments`);
      if (bytes[offset] !== 0xff) throw new MalformedMetadataError('JPEG', `no marker at byte ${offset}`);
      const marker = bytes[offset + 1];
      if (marker === 0xff) {
        offset += 1; // fill byte
        continue;
      }
      if (marker === START_OF_SCAN || marker === END_OF_IMAGE) break;
      if (isStandalone(marker)) {
        offset += 2;
        continue;
      }
      if (offset + 4 > bytes.length) throw new MalformedMetadataError('JPEG', `segment header truncated at byte ${offset}`);
      const length = readUint16BE(bytes, offset + 2);
      const end = offset + 2 + length;
      if (length < 2 || end > bytes.length) {
        throw new MalformedMetadataError('JPEG', `segment 0x${marker.toString(16)} at byte ${offset} overruns the file`);
      }
      const payload = bytes.subarray(offset + 4, end);
      if (marker === APP1) readApp1(payload, blocks);
      if (marker === APP11 && startsWith(payload, 'JP')) jumbfSegments.push({ payload, offset });
      offset = end;
    }
  } catch (error) {
    if (!(error instanceof MalformedMetadataError)) throw error;
    blocks.unreadable.push(error.message);
  }
  if (jumbfSegments.length > 0) {
    try {
      blocks.c2paJumbf = assembleJumbfSegments(jumbfSegments);
    } catch (error) {
      if (!(error instanceof MalformedMetadataError)) throw error;
      blocks.unreadable.push(error.message);
    }
  }
  return blocks;
}

function readApp1(payload: Uint8Array, blocks: MetadataBlocks): void {
  if (startsWith(payload, EXIF_HEADER)) blocks.exif.push(payload.subarray(EXIF_HEADER.length));
  else if (startsWith(payload, XMP_HEADER)) blocks.xmpPackets.push(decodeUtf8(payload.subarray(XMP_HEADER.length)));
}
