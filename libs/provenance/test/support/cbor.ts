/** Just enough of a CBOR encoder (RFC 8949) for hand-built C2PA assertions and claims. */
export type CborValue = string | number | Uint8Array | CborValue[] | { [key: string]: CborValue };

function head(major: number, value: number): number[] {
  if (value < 24) return [(major << 5) | value];
  if (value < 0x100) return [(major << 5) | 24, value];
  if (value < 0x10000) return [(major << 5) | 25, value >> 8, value & 0xff];
  return [(major << 5) | 26, (value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

export function encodeCbor(value: CborValue): Uint8Array {
  if (typeof value === 'number') return new Uint8Array(head(0, value));
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from(head(3, text.length)), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([Buffer.from(head(2, value.length)), value]);
  if (Array.isArray(value)) return Buffer.concat([Buffer.from(head(4, value.length)), ...value.map(encodeCbor)]);
  const entries = Object.entries(value);
  return Buffer.concat([Buffer.from(head(5, entries.length)), ...entries.flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])]);
}
