import { ascii, decodeUtf8, readUint32LE, startsWith } from '../bytes';
import { LIMITS } from '../limits';
import { emptyBlocks, type MetadataBlocks } from '../metadata-blocks';

const RIFF_HEADER = 12;
const EXIF_HEADER = 'Exif\0\0';

/** Walks the RIFF chunks of a WebP file for EXIF, XMP and C2PA. */
export function readWebpBlocks(bytes: Uint8Array): MetadataBlocks {
  const blocks = emptyBlocks();
  let offset = RIFF_HEADER;
  for (let visited = 0; offset + 8 <= bytes.length; visited++) {
    if (visited >= LIMITS.maxBlocks) {
      blocks.unreadable.push(`WebP: more than ${LIMITS.maxBlocks} chunks`);
      break;
    }
    const fourCC = ascii(bytes, offset, 4);
    const size = readUint32LE(bytes, offset + 4);
    const end = offset + 8 + size;
    if (end > bytes.length) {
      blocks.unreadable.push(`WebP chunk ${JSON.stringify(fourCC)} at byte ${offset}: size ${size} overruns the file`);
      break;
    }
    const data = bytes.subarray(offset + 8, end);
    if (fourCC === 'EXIF') blocks.exif.push(startsWith(data, EXIF_HEADER) ? data.subarray(EXIF_HEADER.length) : data);
    else if (fourCC === 'XMP ') blocks.xmpPackets.push(decodeUtf8(data));
    else if (fourCC === 'C2PA') blocks.c2paJumbf = data;
    offset = end + (size % 2); // chunks are padded to an even size
  }
  return blocks;
}
