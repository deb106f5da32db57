import { inflateSync } from 'node:zlib';
import { decodeLatin1, decodeUtf8 } from '../bytes';
import { MalformedMetadataError } from '../errors';
import { LIMITS } from '../limits';
import type { TextEntry } from '../metadata-blocks';

export const XMP_KEYWORD = 'XML:com.adobe.xmp';

/** Decodes a tEXt, zTXt or iTXt chunk (PNG spec §11.3.4). */
export function decodeTextChunk(type: string, data: Uint8Array): TextEntry {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 1) throw new MalformedMetadataError(`PNG ${type}`, 'no keyword');
  const keyword = decodeLatin1(data.subarray(0, keywordEnd));
  const rest = data.subarray(keywordEnd + 1);
  if (type === 'tEXt') return { keyword, text: decodeLatin1(rest) };
  if (type === 'zTXt') return { keyword, text: decodeLatin1(inflate(keyword, type, rest.subarray(1))) };
  return { keyword, text: decodeInternationalText(keyword, rest) };
}

/** iTXt after the keyword: compression flag, method, language tag\0, translated keyword\0, text. */
function decodeInternationalText(keyword: string, rest: Uint8Array): string {
  if (rest.length < 2) throw new MalformedMetadataError(`PNG iTXt ${JSON.stringify(keyword)}`, 'truncated header');
  const compressed = rest[0] === 1;
  const languageEnd = rest.indexOf(0, 2);
  const translatedEnd = languageEnd < 0 ? -1 : rest.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new MalformedMetadataError(`PNG iTXt ${JSON.stringify(keyword)}`, 'truncated header');
  const text = rest.subarray(translatedEnd + 1);
  return decodeUtf8(compressed ? inflate(keyword, 'iTXt', text) : text);
}

function inflate(keyword: string, type: string, data: Uint8Array): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: LIMITS.maxInflatedBytes });
  } catch (error) {
    const reason = error instanceof RangeError ? `inflates to more than ${LIMITS.maxInflatedBytes} bytes` : 'bad zlib data';
    throw new MalformedMetadataError(`PNG ${type} ${JSON.stringify(keyword)}`, reason, { cause: error });
  }
}
