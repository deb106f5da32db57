import { decodeLatin1, decodeUtf8 } from './bytes';
import { MalformedMetadataError } from './errors';
import { LIMITS } from './limits';

/** The EXIF text fields that can name the software or person behind an image. */
export interface ExifStrings {
  imageDescription?: string;
  make?: string;
  model?: string;
  software?: string;
  artist?: string;
  userComment?: string;
}

const IFD0_TAGS: Record<number, keyof ExifStrings> = {
  0x010e: 'imageDescription',
  0x010f: 'make',
  0x0110: 'model',
  0x0131: 'software',
  0x013b: 'artist',
};
const EXIF_IFD_POINTER = 0x8769;
const USER_COMMENT = 0x9286;
const ASCII = 2;
const LONG = 4;
const UNDEFINED = 7;

/** Reads the text tags of IFD0 and the Exif sub-IFD from a TIFF-structured EXIF payload. */
export function readExifStrings(tiff: Uint8Array): ExifStrings {
  if (tiff.length < 8) throw new MalformedMetadataError('EXIF', 'shorter than a TIFF header');
  const order = decodeLatin1(tiff.subarray(0, 2));
  if (order !== 'II' && order !== 'MM') throw new MalformedMetadataError('EXIF', 'no TIFF byte-order mark');
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = order === 'II';
  const strings: ExifStrings = {};
  let exifIfd: number | undefined;
  forEachEntry(view, little, view.getUint32(4, little), (tag, type, count, valueOffset) => {
    const field = IFD0_TAGS[tag];
    if (field && type === ASCII) strings[field] = readAscii(view, count, valueOffset);
    if (tag === EXIF_IFD_POINTER && type === LONG) exifIfd = view.getUint32(valueOffset, little);
  });
  if (exifIfd !== undefined) {
    forEachEntry(view, little, exifIfd, (tag, type, count, valueOffset) => {
      if (tag === USER_COMMENT && type === UNDEFINED) strings.userComment = readUserComment(view, little, count, valueOffset);
    });
  }
  return strings;
}

type EntryVisitor = (tag: number, type: number, count: number, valueOffset: number) => void;

/** `valueOffset` is where the value lies: inline in the entry when it fits in 4 bytes, else at the offset the entry holds. */
function forEachEntry(view: DataView, little: boolean, ifdOffset: number, visit: EntryVisitor): void {
  if (ifdOffset + 2 > view.byteLength) throw new MalformedMetadataError('EXIF', `IFD offset ${ifdOffset} is outside the block`);
  const count = view.getUint16(ifdOffset, little);
  if (count > LIMITS.maxIfdEntries) throw new MalformedMetadataError('EXIF', `IFD with ${count} entries`);
  if (ifdOffset + 2 + count * 12 > view.byteLength) throw new MalformedMetadataError('EXIF', 'IFD overruns the block');
  for (let i = 0; i < count; i++) {
    const entry = ifdOffset + 2 + i * 12;
    const type = view.getUint16(entry + 2, little);
    const valueCount = view.getUint32(entry + 4, little);
    const size = type === ASCII || type === UNDEFINED ? valueCount : 4;
    visit(view.getUint16(entry, little), type, valueCount, size <= 4 ? entry + 8 : view.getUint32(entry + 8, little));
  }
}

function valueBytes(view: DataView, offset: number, length: number): Uint8Array {
  if (offset + length > view.byteLength) throw new MalformedMetadataError('EXIF', `value at ${offset} overruns the block`);
  return new Uint8Array(view.buffer, view.byteOffset + offset, length);
}

function readAscii(view: DataView, count: number, offset: number): string {
  return decodeUtf8(valueBytes(view, offset, count))
    .replace(/\0+$/, '')
    .trim();
}

/** UserComment starts with an 8-byte character code; A1111 writes "UNICODE" followed by UTF-16. */
function readUserComment(view: DataView, little: boolean, count: number, offset: number): string {
  if (count < 8) return '';
  const bytes = valueBytes(view, offset, count);
  const code = decodeLatin1(bytes.subarray(0, 8)).replace(/\0+$/, '').trim();
  const body = bytes.subarray(8);
  if (code !== 'UNICODE') return decodeUtf8(body).replace(/\0+$/, '');
  return new TextDecoder(utf16Endianness(body, little)).decode(body).replace(/\0+$/, '');
}

/** Writers disagree on UTF-16 byte order here, so guess it from where the zero bytes of ASCII text fall. */
function utf16Endianness(body: Uint8Array, little: boolean): 'utf-16le' | 'utf-16be' {
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i + 1 < Math.min(body.length, 256); i += 2) {
    if (body[i] === 0) evenZeros++;
    if (body[i + 1] === 0) oddZeros++;
  }
  if (evenZeros === oddZeros) return little ? 'utf-16le' : 'utf-16be';
  return evenZeros > oddZeros ? 'utf-16be' : 'utf-16le';
}
