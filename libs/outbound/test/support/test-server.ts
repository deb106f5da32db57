import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The SNI name the client sent, for TLS servers. */
  servername?: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

export interface TestServer {
  port: number;
  /** `http://127.0.0.1:PORT` (or the host it listens on). */
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Certificate and key for `secure.test` (self-signed, valid until 2126), for TLS tests. */
export const SECURE_TEST_CERT = readFileSync(join(__dirname, '../fixtures/secure-test.cert.pem'), 'utf8');
const SECURE_TEST_KEY = readFileSync(join(__dirname, '../fixtures/secure-test.key.pem'), 'utf8');

export interface ServerOptions {
  host?: string;
  port?: number;
  tls?: boolean;
}

/** A real HTTP(S) server that records every request (with its body) before handing it to `handler`. */
export async function startServer(handler: Handler, options: ServerOptions = {}): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        servername: request.socket instanceof TLSSocket ? request.socket.servername || undefined : undefined,
      };
      requests.push(recorded);
      handler(recorded, response);
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: SECURE_TEST_CERT, key: SECURE_TEST_KEY }, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  return {
    port,
    origin: `${scheme}://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = await startServer(() => undefined);
  await server.close();
  return server.port;
}
