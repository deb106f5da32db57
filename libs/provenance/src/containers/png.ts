import { crc32 } from 'node:zlib';
import { ascii, readUint32BE } from '../bytes';
import { MalformedMetadataError } from '../errors';
import { LIMITS } from '../limits';
import { emptyBlocks, type MetadataBlocks } from '../metadata-blocks';
import { decodeTextChunk, XMP_KEYWORD } from './png-text-chunk';

const SIGNATURE_LENGTH = 8;
const TEXT_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt']);

/** Walks the PNG chunk list, skipping chunks whose CRC does not match and stopping at one that overruns the file. */
export function readPngBlocks(bytes: Uint8Array): MetadataBlocks {
  const blocks = emptyBlocks();
  let offset = SIGNATURE_LENGTH;
  for (let visited = 0; offset + 12 <= bytes.length; visited++) {
    if (visited >= LIMITS.maxBlocks) {
      blocks.unreadable.push(`PNG: more than ${LIMITS.maxBlocks} chunks`);
      break;
    }
    const length = readUint32BE(bytes, offset);
    const type = ascii(bytes, offset + 4, 4);
    const dataEnd = offset + 8 + length;
    if (dataEnd + 4 > bytes.length) {
      blocks.unreadable.push(`PNG chunk ${JSON.stringify(type)} at byte ${offset}: length ${length} overruns the file`);
      break;
    }
    if (type === 'IEND') break;
    const data = bytes.subarray(offset + 8, dataEnd);
    if (crc32(bytes.subarray(offset + 4, dataEnd)) !== readUint32BE(bytes, dataEnd)) {
      blocks.unreadable.push(`PNG chunk ${JSON.stringify(type)} at byte ${offset}: CRC mismatch`);
    } else {
      readChunk(type, data, blocks);
    }
    offset = dataEnd + 4;
  }
  return blocks;
}

function readChunk(type: string, data: Uint8Array, blocks: MetadataBlocks): void {
  if (type === 'caBX') blocks.c2paJumbf = data;
  else if (type === 'eXIf') blocks.exif.push(data);
  else if (TEXT_CHUNKS.has(type)) {
    try {
      const entry = decodeTextChunk(type, data);
      if (entry.keyword === XMP_KEYWORD) blocks.xmpPackets.push(entry.text);
      else blocks.textEntries.push(entry);
    } catch (error) {
      if (!(error instanceof MalformedMetadataError)) throw error;
      blocks.unreadable.push(error.message);
    }
  }
}
