import sharp from 'sharp';
import { AddressPolicy, ImageDownloadError, ImageLoader, ImageTooLargeError, InvalidImageError } from '../src';
import { startServer, type TestServer } from './support/test-server';

describe('ImageLoader', () => {
  let server: TestServer;
  let png: Buffer;
  const local = new ImageLoader({ maxBytes: 5000, timeoutMs: 1000, maxRedirects: 2, addressPolicy: new AddressPolicy({ allow: ['127.0.0.1'] }) });
  const publicOnly = new ImageLoader({ maxBytes: 5000, timeoutMs: 1000, maxRedirects: 2, addressPolicy: AddressPolicy.PUBLIC_ONLY });

  beforeAll(async () => {
    png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer();
    server = await startServer((request, response) => {
      const routes: Record<string, () => void> = {
        '/cat.png': () => response.writeHead(200, { 'content-type': 'image/png' }).end(png),
        '/blob': () => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(png),
        '/page': () => response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'),
        '/huge.png': () => response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(6000)),
        '/slow.png': () => setTimeout(() => response.writeHead(200, { 'content-type': 'image/png' }).end(png), 1500),
        '/to-cat': () => response.writeHead(302, { location: '/cat.png' }).end(),
        '/to-localhost': () => response.writeHead(302, { location: `http://localhost:${server.port}/cat.png` }).end(),
      };
      (routes[request.path] ?? (() => response.writeHead(404).end()))();
    });
  });
  afterAll(() => server.close());

  it('downloads an image, following redirects', async () => {
    expect(await local.download(`${server.origin}/cat.png`)).toEqual(png);
    expect(await local.download(`${server.origin}/to-cat`)).toEqual(png);
    expect(await local.download(`${server.origin}/blob`)).toEqual(png);
  });

  it('reports an error status as the seed did', async () => {
    await expect(local.download(`${server.origin}/missing.png`)).rejects.toThrow(new ImageDownloadError('404 Not Found'));
  });

  it('refuses a response that is not an image type, one over the byte limit, and one too slow', async () => {
    await expect(local.download(`${server.origin}/page`)).rejects.toThrow(/Failed to download image: .*content-type "text\/html"/);
    await expect(local.download(`${server.origin}/huge.png`)).rejects.toThrow(ImageTooLargeError);
    await expect(local.download(`${server.origin}/slow.png`)).rejects.toThrow(/Failed to download image: .*did not complete within 1000 ms/);
  });

  it('refuses internal addresses, also when a redirect leads there', async () => {
    await expect(publicOnly.download(`${server.origin}/cat.png`)).rejects.toThrow(/Failed to download image: Refused .*127\.0\.0\.1 is loopback/);
    await expect(publicOnly.download('http://169.254.169.254/latest/meta-data/')).rejects.toThrow(/cloud metadata/);
    await expect(publicOnly.download('http://10.1.2.3/x.png')).rejects.toThrow(/private/);
    await expect(local.download(`http://localhost:${server.port}/cat.png`)).rejects.toThrow(/localhost is a local-network name/);
    await expect(local.download(`${server.origin}/to-localhost`)).rejects.toThrow(/localhost is a local-network name/);
    expect(server.requests.filter((request) => request.path === '/cat.png' && request.headers.host?.startsWith('localhost'))).toEqual([]);
  });

  it('decodes bare base64 and data URIs, and refuses empty or oversized data', () => {
    expect(local.decodeBase64(png.toString('base64'))).toEqual(png);
    expect(local.decodeBase64(`data:image/png;base64,${png.toString('base64url')}`)).toEqual(png);
    expect(() => local.decodeBase64('')).toThrow(InvalidImageError);
    expect(() => local.decodeBase64(Buffer.alloc(6000).toString('base64'))).toThrow(new ImageTooLargeError('6000 bytes is more than the limit of 5000 bytes'));
  });
});
