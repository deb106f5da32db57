import { API_KEY } from './platform';

export interface ServerSentEvent {
  id?: string;
  event: string;
  data: any;
}

/** Opens the job's event stream, as a web page's fetch() would. */
export async function openEventStream(platform: { gateway: { baseUrl: string } }, path: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(platform.gateway.baseUrl + path, {
    headers: { authorization: `Bearer ${API_KEY}`, accept: 'text/event-stream', ...headers },
    signal,
  });
}

/** Parses Server-Sent Events from a response body as they arrive; comments (pings) are skipped. */
export async function* serverSentEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of response.body!) {
    buffered += decoder.decode(bytes as Uint8Array, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      if (fields.data !== undefined) yield { id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) };
    }
  }
}

/** Reads every event until the server closes the stream. */
export async function readUntilClosed(response: Response): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of serverSentEvents(response)) events.push(event);
  return events;
}
