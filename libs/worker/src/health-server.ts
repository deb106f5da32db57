import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HealthReport = () => Record<string, unknown> & { ready: boolean };

/** A tiny HTTP server for liveness and readiness probes of a worker process (no NestJS HTTP stack). */
export async function startHealthServer(port: number, report: HealthReport): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const body = report();
    const healthy = request.url === '/health' || (request.url === '/ready' && body.ready);
    const known = request.url === '/health' || request.url === '/ready';
    response.writeHead(known ? (healthy ? 200 : 503) : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(known ? body : { error: `Unknown path ${request.url}` }));
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
