import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export async function basePng(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .png()
    .toBuffer();
}

export async function baseJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40, g: 80, b: 200 } } })
    .jpeg()
    .toBuffer();
}

export async function baseWebp(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40, g: 200, b: 80 } } })
    .webp()
    .toBuffer();
}

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export const text = (keyword: string, value: string): Buffer => pngChunk('tEXt', Buffer.from(`${keyword}\0${value}`, 'latin1'));

export const ztxt = (keyword: string, value: string): Buffer =>
  pngChunk('zTXt', Buffer.concat([Buffer.from(`${keyword}\0\0`, 'latin1'), deflateSync(Buffer.from(value, 'latin1'))]));

export function itxt(keyword: string, value: string, compressed: boolean): Buffer {
  const body = compressed ? deflateSync(Buffer.from(value, 'utf8')) : Buffer.from(value, 'utf8');
  return pngChunk('iTXt', Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from([compressed ? 1 : 0, 0]), Buffer.from('\0\0'), body]));
}

/** Inserts chunks right after IHDR (8-byte signature + 25-byte IHDR chunk). */
export function withPngChunks(png: Buffer, chunks: Buffer[]): Buffer {
  return Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);
}

export function jpegSegment(marker: number, payload: Uint8Array): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** Inserts segments right after SOI. */
export function withJpegSegments(jpeg: Buffer, segments: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

export const xmpSegment = (packet: string): Buffer =>
  jpegSegment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(packet, 'utf8')]));

/** Splits a JUMBF superbox over APP11 segments: "JP", box instance 1, sequence number, the repeated box header. */
export function app11Segments(jumbf: Buffer, parts: number): Buffer[] {
  const boxHeader = jumbf.subarray(0, 8);
  const payload = jumbf.subarray(8);
  const size = Math.ceil(payload.length / parts);
  return Array.from({ length: parts }, (_, index) => {
    const header = Buffer.from([0x4a, 0x50, 0x00, 0x01, 0, 0, 0, 0]);
    header.writeUInt32BE(index + 1, 4);
    return jpegSegment(0xeb, Buffer.concat([header, boxHeader, payload.subarray(index * size, (index + 1) * size)]));
  });
}

export function riffChunk(fourCC: string, data: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.write(fourCC, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, Buffer.alloc(data.length % 2)]);
}

/** Appends chunks to a WebP file and fixes the RIFF size. */
export function withWebpChunks(webp: Buffer, chunks: Buffer[]): Buffer {
  const out = Buffer.concat([webp, ...chunks]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

export function xmpPacket(body: string): string {
  return `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">${body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
}
