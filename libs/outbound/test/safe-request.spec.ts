import {
  AddressPolicy,
  HostResolutionError,
  HostResolver,
  RequestTimeoutError,
  ResponseTooLargeError,
  safeRequest,
  TooManyRedirectsError,
  UnexpectedContentTypeError,
  UnsafeUrlError,
  UpstreamConnectionError,
} from '../src';
import { SECURE_TEST_CERT, startServer, TestServer, unusedPort } from './support/test-server';

const LOCAL = new AddressPolicy({ allowPrivate: true });
const SECRET = 'Bearer s3cr3t-token';

/** A resolver for test names: each name maps to fixed addresses, and every call is counted. */
function resolverFor(names: Record<string, string | string[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const entry = names[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [entry].flat().map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
  return Object.assign(resolve, { calls });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the request to fail');
}

describe('safeRequest', () => {
  const servers: TestServer[] = [];
  async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
    const started = await startServer(...args);
    servers.push(started);
    return started;
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((started) => started.close()));
  });

  describe('plain requests', () => {
    it('returns status, headers, body and final URL', async () => {
      const echo = await server((request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ method: request.method, path: request.path, body: request.body }));
      });
      const response = await safeRequest(`${echo.origin}/items?id=7`, {
        method: 'post',
        headers: { 'Content-Type': 'text/plain', 'X-Trace': 'abc' },
        body: 'hello',
        addressPolicy: LOCAL,
      });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response.body.toString())).toEqual({ method: 'POST', path: '/items?id=7', body: 'hello' });
      expect(response.url).toBe(`${echo.origin}/items?id=7`);
      expect(response.truncated).toBe(false);
      expect(echo.requests[0].headers['x-trace']).toBe('abc');
      expect(echo.requests[0].headers['content-length']).toBe('5');
    });

    it('refuses a loopback server under the default policy without connecting to it', async () => {
      const target = await server((_request, response) => response.end('should not be reached'));
      const error = await failure(safeRequest(`${target.origin}/`));
      expect(error).toBeInstanceOf(UnsafeUrlError);
      expect((error as UnsafeUrlError).reason).toBe('blocked-address');
      expect(error.message).toContain('127.0.0.1 is loopback');
      expect(target.requests).toHaveLength(0);
    });

    it('reaches a name only through the resolver it was given, sending the name as Host', async () => {
      const target = await server((request, response) => response.end(request.headers.host));
      const lookup = resolverFor({ 'hooks.test': '127.0.0.1' });
      const response = await safeRequest(`http://hooks.test:${target.port}/`, {
        lookup,
        addressPolicy: new AddressPolicy({ allow: ['hooks.test'] }),
      });
      expect(response.body.toString()).toBe(`hooks.test:${target.port}`);
      expect(lookup.calls).toEqual(['hooks.test']);
    });

    it('refuses a name when any one of its addresses is refused', async () => {
      const target = await server((_request, response) => response.end('should not be reached'));
      const lookup = resolverFor({ 'mixed.test': ['127.0.0.1', '169.254.169.254'] });
      const error = await failure(
        safeRequest(`http://mixed.test:${target.port}/`, {
          lookup,
          addressPolicy: new AddressPolicy({ allow: ['127.0.0.1'] }),
        }),
      );
      expect(error).toBeInstanceOf(UnsafeUrlError);
      expect(error.message).toContain('mixed.test resolves to 169.254.169.254, which is a cloud metadata service');
      expect(target.requests).toHaveLength(0);
    });

    it('reports a name that does not resolve as a HostResolutionError', async () => {
      const error = await failure(safeRequest('http://nowhere.test/', { lookup: resolverFor({}) }));
      expect(error).toBeInstanceOf(HostResolutionError);
      expect(error).toBeInstanceOf(UpstreamConnectionError);
      expect(error.message).toContain('could not resolve nowhere.test');
    });

    it('reports a refused connection as an UpstreamConnectionError', async () => {
      const port = await unusedPort();
      const error = await failure(safeRequest(`http://127.0.0.1:${port}/`, { addressPolicy: LOCAL }));
      expect(error).toBeInstanceOf(UpstreamConnectionError);
      expect(error.message).toContain(`Connection to http://127.0.0.1:${port} failed`);
      expect(error.message).toContain('ECONNREFUSED');
    });
  });

  describe('DNS rebinding', () => {
    it('resolves once and connects to the address it checked, even if DNS would now answer otherwise', async () => {
      const checked = await server((_request, response) => response.end('checked server'));
      // Same port on another loopback address: where a second resolution would lead.
      const other = await server((_request, response) => response.end('rebound server'), {
        host: '127.0.0.2',
        port: checked.port,
      });
      const calls: string[] = [];
      const rebinding: HostResolver = async (hostname) => {
        calls.push(hostname);
        return [{ address: calls.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
      };
      const policy = new AddressPolicy({ allow: ['127.0.0.1'] });

      const response = await safeRequest(`http://rebind.test:${checked.port}/`, { lookup: rebinding, addressPolicy: policy });

      expect(response.body.toString()).toBe('checked server');
      expect(calls).toEqual(['rebind.test']);
      expect(checked.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);

      // The next request resolves again, gets the other address, and the check refuses it.
      const error = await failure(safeRequest(`http://rebind.test:${checked.port}/`, { lookup: rebinding, addressPolicy: policy }));
      expect(error.message).toContain('rebind.test resolves to 127.0.0.2, which is loopback');
      expect(other.requests).toHaveLength(0);
    });
  });

  describe('TLS', () => {
    it('connects to the resolved address but verifies the certificate (and sends SNI) for the URL host name', async () => {
      const secure = await server((_request, response) => response.end('secure'), { tls: true });
      const response = await safeRequest(`https://secure.test:${secure.port}/`, {
        lookup: resolverFor({ 'secure.test': '127.0.0.1' }),
        addressPolicy: LOCAL,
        ca: SECURE_TEST_CERT,
      });
      expect(response.body.toString()).toBe('secure');
      expect(secure.requests[0].servername).toBe('secure.test');
    });

    it('fails when the certificate does not match the URL host name, though the address is the same', async () => {
      const secure = await server((_request, response) => response.end('secure'), { tls: true });
      const error = await failure(
        safeRequest(`https://impostor.test:${secure.port}/`, {
          lookup: resolverFor({ 'impostor.test': '127.0.0.1' }),
          addressPolicy: LOCAL,
          ca: SECURE_TEST_CERT,
        }),
      );
      expect(error).toBeInstanceOf(UpstreamConnectionError);
      expect(error.message).toContain("Host: impostor.test. is not in the cert's altnames: DNS:secure.test");
      expect(secure.requests).toHaveLength(0);
    });
  });

  describe('redirects', () => {
    it('returns a 3xx as it is when redirects are not followed (the default)', async () => {
      const next = await server((_request, response) => response.end('next'));
      const first = await server((_request, response) => {
        response.writeHead(302, { location: `${next.origin}/next` }).end('moved');
      });
      const response = await safeRequest(`${first.origin}/`, { addressPolicy: LOCAL });
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe(`${next.origin}/next`);
      expect(response.body.toString()).toBe('moved');
      expect(next.requests).toHaveLength(0);
    });

    it('follows up to the given number of redirects and reports the final URL', async () => {
      const site = await server((request, response) => {
        if (request.path === '/a') response.writeHead(301, { location: '/b' }).end();
        else if (request.path === '/b') response.writeHead(308, { location: '/c?x=1' }).end();
        else response.end(`at ${request.path}`);
      });
      const response = await safeRequest(`${site.origin}/a`, { addressPolicy: LOCAL, redirects: 2 });
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('at /c?x=1');
      expect(response.url).toBe(`${site.origin}/c?x=1`);
    });

    it('fails with TooManyRedirectsError past the limit', async () => {
      const loop = await server((request, response) => {
        const hop = Number(request.path.slice(1));
        response.writeHead(302, { location: `/${hop + 1}` }).end();
      });
      const error = await failure(safeRequest(`${loop.origin}/0`, { addressPolicy: LOCAL, redirects: 3 }));
      expect(error).toBeInstanceOf(TooManyRedirectsError);
      expect(error.message).toContain('redirected more than 3 time(s)');
      expect(loop.requests.map((request) => request.path)).toEqual(['/0', '/1', '/2', '/3']);
    });

    it('turns a POST into a GET without body on 303, and keeps both on 307 within the origin', async () => {
      const site = await server((request, response) => {
        if (request.path === '/see-other') response.writeHead(303, { location: '/result' }).end();
        else if (request.path === '/temporary') response.writeHead(307, { location: '/result' }).end();
        else response.end(`${request.method} ${request.body} ${request.headers.authorization}`);
      });
      const options = { method: 'POST', body: 'payload', headers: { authorization: SECRET }, addressPolicy: LOCAL, redirects: 1 };
      const afterSeeOther = await safeRequest(`${site.origin}/see-other`, options);
      expect(afterSeeOther.body.toString()).toBe(`GET  ${SECRET}`);
      const afterTemporary = await safeRequest(`${site.origin}/temporary`, options);
      expect(afterTemporary.body.toString()).toBe(`POST payload ${SECRET}`);
    });

    it('drops Authorization, Cookie and the body when the redirect leaves the origin', async () => {
      const elsewhere = await server((_request, response) => response.end('elsewhere'));
      const first = await server((_request, response) => {
        response.writeHead(307, { location: `${elsewhere.origin}/landing` }).end();
      });
      await safeRequest(`${first.origin}/`, {
        method: 'PUT',
        body: 'payload',
        headers: { Authorization: SECRET, Cookie: 'session=1', 'Content-Type': 'text/plain', 'X-Kept': 'yes' },
        addressPolicy: LOCAL,
        redirects: 1,
      });
      const landed = elsewhere.requests[0];
      expect(landed.method).toBe('PUT');
      expect(landed.body).toBe('');
      expect(landed.headers.authorization).toBeUndefined();
      expect(landed.headers.cookie).toBeUndefined();
      expect(landed.headers['content-type']).toBeUndefined();
      expect(landed.headers['x-kept']).toBe('yes');
    });

    describe('to an internal address, when the first hop was allowed by name', () => {
      const policy = new AddressPolicy({ allow: ['allowed.test'] });

      async function redirectingTo(location: (internal: TestServer) => string) {
        const internal = await server((_request, response) => response.end('internal data'));
        const allowed = await server((_request, response) => {
          response.writeHead(302, { location: location(internal) }).end();
        });
        const lookup = resolverFor({ 'allowed.test': '127.0.0.1', 'internal.test': '127.0.0.1' });
        const request = safeRequest(`http://allowed.test:${allowed.port}/`, { addressPolicy: policy, lookup, redirects: 3 });
        return { internal, allowed, request };
      }

      it('refuses an IP literal', async () => {
        const { internal, allowed, request } = await redirectingTo((target) => `${target.origin}/admin`);
        const error = await failure(request);
        expect(error).toBeInstanceOf(UnsafeUrlError);
        expect((error as UnsafeUrlError).reason).toBe('blocked-address');
        expect(allowed.requests).toHaveLength(1);
        expect(internal.requests).toHaveLength(0);
      });

      it('refuses a name that resolves to it', async () => {
        const { internal, request } = await redirectingTo((target) => `http://internal.test:${target.port}/admin`);
        const error = await failure(request);
        expect(error.message).toContain('internal.test resolves to 127.0.0.1, which is loopback');
        expect(internal.requests).toHaveLength(0);
      });

      it('refuses a file: URL', async () => {
        const { request } = await redirectingTo(() => 'file:///etc/passwd');
        expect(((await failure(request)) as UnsafeUrlError).reason).toBe('unsupported-scheme');
      });
    });
  });

  describe('limits', () => {
    it('times out a server that never answers', async () => {
      const silent = await server(() => undefined);
      const started = Date.now();
      const error = await failure(safeRequest(`${silent.origin}/`, { addressPolicy: LOCAL, timeoutMs: 200 }));
      expect(error).toBeInstanceOf(RequestTimeoutError);
      expect(error.message).toBe(`Request to ${silent.origin} did not complete within 200 ms`);
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('times out a body that stalls after the headers', async () => {
      const stalling = await server((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('first part');
      });
      const error = await failure(safeRequest(`${stalling.origin}/`, { addressPolicy: LOCAL, timeoutMs: 200 }));
      expect(error).toBeInstanceOf(RequestTimeoutError);
    });

    it('times out a name resolution that hangs', async () => {
      const hanging: HostResolver = () => new Promise(() => undefined);
      const error = await failure(safeRequest('http://slow.test/', { lookup: hanging, timeoutMs: 100 }));
      expect(error).toBeInstanceOf(RequestTimeoutError);
    });

    it('refuses a body whose declared length exceeds the cap', async () => {
      const big = await server((_request, response) => response.end(Buffer.alloc(5000)));
      const error = await failure(safeRequest(`${big.origin}/`, { addressPolicy: LOCAL, maxResponseBytes: 1000 }));
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error.message).toBe(`Response from ${big.origin} exceeds the limit of 1000 bytes`);
    });

    it('aborts a streamed body once it exceeds the cap', async () => {
      const streaming = await server((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(400, 1);
        const timer = setInterval(() => response.write(chunk), 5);
        response.on('close', () => clearInterval(timer));
      });
      const error = await failure(safeRequest(`${streaming.origin}/`, { addressPolicy: LOCAL, maxResponseBytes: 1000, timeoutMs: 5000 }));
      expect(error).toBeInstanceOf(ResponseTooLargeError);
    });

    it('accepts a body of exactly the cap', async () => {
      const exact = await server((_request, response) => response.end(Buffer.alloc(1000, 7)));
      const response = await safeRequest(`${exact.origin}/`, { addressPolicy: LOCAL, maxResponseBytes: 1000 });
      expect(response.body).toHaveLength(1000);
    });

    it('keeps the first bytes of a large body when asked to truncate', async () => {
      const big = await server((_request, response) => response.end('x'.repeat(10_000)));
      const response = await safeRequest(`${big.origin}/`, { addressPolicy: LOCAL, maxResponseBytes: 100, overflow: 'truncate' });
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('x'.repeat(100));
      expect(response.truncated).toBe(true);
    });
  });

  describe('content types', () => {
    async function serving(contentType: string | undefined, status = 200) {
      return server((_request, response) => {
        if (contentType) response.setHeader('content-type', contentType);
        response.writeHead(status).end('content');
      });
    }

    it('accepts a type matching a prefix entry, whatever its parameters', async () => {
      const image = await serving('Image/PNG; charset=binary');
      const response = await safeRequest(`${image.origin}/`, { addressPolicy: LOCAL, acceptContentTypes: ['image/'] });
      expect(response.status).toBe(200);
    });

    it('accepts an exact match', async () => {
      const json = await serving('application/json; charset=utf-8');
      const response = await safeRequest(`${json.origin}/`, { addressPolicy: LOCAL, acceptContentTypes: ['application/json'] });
      expect(response.status).toBe(200);
    });

    it.each([['text/html'], ['application/jsonp'], [undefined]])('refuses %s', async (contentType) => {
      const other = await serving(contentType);
      const error = await failure(safeRequest(`${other.origin}/`, { addressPolicy: LOCAL, acceptContentTypes: ['image/', 'application/json'] }));
      expect(error).toBeInstanceOf(UnexpectedContentTypeError);
      expect(error.message).toContain('expected one of: image/, application/json');
    });

    it('returns an error status as it is, whatever its type', async () => {
      const missing = await serving('text/html', 404);
      const response = await safeRequest(`${missing.origin}/`, { addressPolicy: LOCAL, acceptContentTypes: ['image/'] });
      expect(response.status).toBe(404);
    });
  });

  it.each([{ redirects: -1 }, { redirects: 1.5 }, { timeoutMs: -5 }, { maxResponseBytes: Number.NaN }])(
    'refuses the option %j before sending anything',
    async (options) => {
      await expect(safeRequest('https://example.com/', options)).rejects.toThrow(RangeError);
    },
  );

  it('never puts the Authorization value or the query in an error message', async () => {
    const silent = await server(() => undefined);
    const big = await server((_request, response) => response.end(Buffer.alloc(2000)));
    const redirecting = await server((_request, response) => {
      response.writeHead(302, { location: 'http://10.0.0.1/?token=s3cr3t-location' }).end();
    });
    const options = { headers: { authorization: SECRET }, addressPolicy: LOCAL };
    const errors = await Promise.all([
      failure(safeRequest(`${silent.origin}/?token=s3cr3t-query`, { ...options, timeoutMs: 100 })),
      failure(safeRequest(`${big.origin}/?token=s3cr3t-query`, { ...options, maxResponseBytes: 10 })),
      failure(
        safeRequest(`${redirecting.origin}/?token=s3cr3t-query`, {
          ...options,
          addressPolicy: new AddressPolicy({ allow: ['127.0.0.1'] }),
          redirects: 1,
        }),
      ),
      failure(safeRequest(`http://127.0.0.1:${await unusedPort()}/?token=s3cr3t-query`, options)),
    ]);
    expect(errors.map((error) => error.constructor.name)).toEqual([
      'RequestTimeoutError',
      'ResponseTooLargeError',
      'UnsafeUrlError',
      'UpstreamConnectionError',
    ]);
    for (const error of errors) expect(`${error.message} ${error.stack}`).not.toContain('s3cr3t');
  });
});
