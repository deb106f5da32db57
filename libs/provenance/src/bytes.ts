const utf8 = new TextDecoder('utf-8');

export function readUint32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

export function readUint16BE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

export function ascii(bytes: Uint8Array, start: number, length: number): string {
  return decodeLatin1(bytes.subarray(start, start + length));
}

/** ISO 8859-1 as PNG text chunks use it (TextDecoder's 'latin1' is really windows-1252). */
export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

export function startsWith(bytes: Uint8Array, prefix: string, offset = 0): boolean {
  return bytes.length >= offset + prefix.length && ascii(bytes, offset, prefix.length) === prefix;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
