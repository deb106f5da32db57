import type { FastifyReply } from 'fastify';
import type { FeedItem, JobFeed } from '../jobs/job-event-feed';

/** A client this far behind is dropped; it can come back with Last-Event-ID and miss nothing recorded. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** How long a browser's EventSource waits before reconnecting. */
const RECONNECT_MS = 3_000;

export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

/** The sequence number a reconnecting client last saw (0 when it names none, or none we could have sent). */
export function lastEventSeq(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : 0;
}

function format(item: FeedItem): string {
  if (item.type === 'ping') return ': ping\n\n';
  if (item.type === 'derived') return `id: ${item.seq}\nevent: ${item.name}\ndata: ${JSON.stringify(item.data)}\n\n`;
  // JSON.stringify escapes line breaks, so the data always fits on one line.
  return `id: ${item.seq}\nevent: ${item.type}\ndata: ${JSON.stringify(item.data)}\n\n`;
}

/**
 * Writes a feed to the client as Server-Sent Events on the raw response, taken over from Fastify,
 * until the feed ends or the client goes away (which closes the feed).
 */
export async function sendServerSentEvents(reply: FastifyReply, feed: JobFeed): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  response.on('close', () => feed.close());
  response.on('error', () => feed.close());
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Tells nginx-style proxies not to buffer the stream.
    'x-accel-buffering': 'no',
  });
  response.write(`retry: ${RECONNECT_MS}\n\n`);
  for (let item = await feed.next(); item; item = await feed.next()) {
    if (response.destroyed) break;
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      feed.close();
      break;
    }
    response.write(format(item));
  }
  response.end();
}
