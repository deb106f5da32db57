import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3ServerOptions {
  /** Buckets created before the server answers. Default `['models']`. */
  buckets?: string[];
}

export interface S3Server {
  /** http://127.0.0.1:<port>; needs path-style addressing (`forcePathStyle: true`). */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  buckets: string[];
  /** The temporary folder holding the objects; removed by close(). */
  directory: string;
  close(): Promise<void>;
}

/** Starts s3rver (an S3-compatible server) on a free port over a fresh temporary folder. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const buckets = options.buckets ?? ['models'];
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    // s3rver checks signatures against these fixed credentials.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    buckets,
    directory,
    close: async () => {
      // Clients keep connections alive; without this, close() waits for them to time out.
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
