import { open } from 'node:fs/promises';

export type ByteStream = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** A remote file that can be read by byte range. */
export interface RangeReader {
  readonly size: number;
  /** Streams bytes [start, end) of the file. */
  openRange(start: number, end: number, signal: AbortSignal): Promise<ByteStream>;
}

export interface RangedDownloadOptions {
  /** Files larger than this are fetched as several ranges of this size, in parallel. */
  rangeBytes: number;
  /** How many ranges of one file are in flight at once. */
  concurrency: number;
  signal: AbortSignal;
  onBytes?: (bytes: number) => void;
}

export interface RangedDownloadResult {
  /** Bytes the source sent; differs from the file size when a range came back short or long. */
  bytesReceived: number;
  complete: boolean;
}

interface ByteRange {
  start: number;
  end: number;
}

function splitIntoRanges(size: number, rangeBytes: number): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += rangeBytes) ranges.push({ start, end: Math.min(size, start + rangeBytes) });
  return ranges;
}

/**
 * Writes a remote file to `destination`, each range at its offset. Stops at the first failing range
 * (aborting the others) and rethrows its error; the caller owns cleaning up `destination`.
 */
export async function downloadInRanges(reader: RangeReader, destination: string, options: RangedDownloadOptions): Promise<RangedDownloadResult> {
  const pending = splitIntoRanges(reader.size, Math.max(1, options.rangeBytes));
  const stopOthers = new AbortController();
  const signal = AbortSignal.any([options.signal, stopOthers.signal]);
  const handle = await open(destination, 'w');
  let bytesReceived = 0;
  let complete = true;

  const fetchRange = async ({ start, end }: ByteRange): Promise<void> => {
    let position = start;
    for await (const chunk of await reader.openRange(start, end, signal)) {
      signal.throwIfAborted();
      const writable = Math.max(0, Math.min(chunk.byteLength, end - position));
      if (writable > 0) await handle.write(chunk, 0, writable, position);
      position += chunk.byteLength;
      bytesReceived += chunk.byteLength;
      options.onBytes?.(chunk.byteLength);
    }
    if (position !== end) complete = false;
  };

  let firstError: unknown;
  const worker = async (): Promise<void> => {
    try {
      for (let range = pending.shift(); range; range = pending.shift()) await fetchRange(range);
    } catch (error) {
      if (!stopOthers.signal.aborted) {
        firstError = error;
        stopOthers.abort(error);
      }
    }
  };

  try {
    const workerCount = Math.max(1, Math.min(options.concurrency, pending.length));
    await Promise.all(Array.from({ length: workerCount }, worker));
    if (options.signal.aborted) throw options.signal.reason;
    if (stopOthers.signal.aborted) throw firstError;
    return { bytesReceived, complete };
  } finally {
    await handle.close();
  }
}
