import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver that answers from a script of status codes, then 200. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly script: number[],
  ) {}

  static async start(script: number[] = []): Promise<WebhookReceiver> {
    // eslint-disable-next-line prefer-const -- the server's handler needs it, and it exists only once the server listens
    let receiver!: WebhookReceiver;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        receiver.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(receiver.script.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/switchyard`, [...script]);
    return receiver;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
