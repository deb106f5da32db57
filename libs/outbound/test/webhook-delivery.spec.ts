import { Webhook } from 'standardwebhooks';
import {
  AddressPolicy,
  classifyDeliveryResponse,
  deliverWebhook,
  generateWebhookSecret,
  parseRetryAfter,
  STANDARD_WEBHOOK_RETRY_DELAYS_MS,
  webhookRetrySchedule,
} from '../src';
import { startServer, TestServer, unusedPort } from './support/test-server';

const NOW = Date.parse('2026-11-22T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['7', 7000],
    [' 120 ', 120_000],
    ['Sun, 22 Nov 2026 12:01:30 GMT', 90_000], // IMF-fixdate
    ['Sunday, 22-Nov-26 12:01:30 GMT', 90_000], // RFC 850
    ['Sun Nov 22 12:01:30 2026', 90_000], // asctime, always GMT
    ['Tue Dec  1 12:00:00 2026', 9 * 86_400_000],
    ['Friday, 31-Dec-99 23:59:59 GMT', 0], // 1999, not 2099
    ['Tue, 22 Dec 2026 12:00:00 GMT', 30 * 86_400_000],
    ['Tuesday, 22-Dec-26 12:00:00 GMT', 30 * 86_400_000],
    ['Sun, 22 Nov 2026 11:00:00 GMT', 0], // already past
  ])('reads %j as %d ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    undefined,
    '',
    '-5',
    '1.5',
    '2026-11-22T12:01:30Z',
    'soon',
    '12 seconds',
    'Sun, 31 Nov 2026 12:01:30 GMT',
    'Sun, 22 Foo 2026 12:01:30 GMT',
    'Sun, 22 Nov 2026 12:01:30 PST',
    'Sun, 22 Nov 2026 24:00:00 GMT',
    'Sun Nov 22 12:01:30 2026 GMT',
  ])('ignores %j', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('classifyDeliveryResponse', () => {
  it.each([200, 201, 202, 204, 299])('counts %d as delivered', (status) => {
    expect(classifyDeliveryResponse(status, {})).toEqual({ outcome: 'delivered' });
  });

  it('disables the endpoint on 410 Gone', () => {
    expect(classifyDeliveryResponse(410, { 'retry-after': '10' })).toEqual({ outcome: 'disable' });
  });

  it.each([301, 302, 307, 308, 400, 401, 404, 408, 429, 500, 502, 503])('retries on %d', (status) => {
    expect(classifyDeliveryResponse(status, {})).toEqual({ outcome: 'retry' });
  });

  it('honours retry-after in seconds or as a date', () => {
    expect(classifyDeliveryResponse(503, { 'retry-after': '30' })).toEqual({ outcome: 'retry', retryAfterMs: 30_000 });
    expect(classifyDeliveryResponse(429, { 'Retry-After': 'Sun, 22 Nov 2026 12:05:00 GMT' }, { now: NOW })).toEqual({
      outcome: 'retry',
      retryAfterMs: 300_000,
    });
  });

  it('caps retry-after (1 hour unless told otherwise)', () => {
    expect(classifyDeliveryResponse(503, { 'retry-after': '86400' })).toEqual({ outcome: 'retry', retryAfterMs: 3_600_000 });
    expect(classifyDeliveryResponse(503, { 'retry-after': '86400' }, { maxRetryAfterMs: 60_000 })).toEqual({
      outcome: 'retry',
      retryAfterMs: 60_000,
    });
  });

  it('retries without a delay when retry-after is unreadable', () => {
    expect(classifyDeliveryResponse(503, { 'retry-after': 'later' })).toEqual({ outcome: 'retry' });
  });
});

describe('webhookRetrySchedule', () => {
  const noJitter = { jitter: 0 };

  it('follows the Standard Webhooks schedule', () => {
    const schedule = webhookRetrySchedule(noJitter);
    const delays = Array.from({ length: schedule.maxAttempts }, (_, index) => schedule.delayBeforeAttempt(index + 1));
    expect(schedule.maxAttempts).toBe(10);
    expect(delays).toEqual([0, 5e3, 300e3, 1_800e3, 7_200e3, 18_000e3, 36_000e3, 50_400e3, 72_000e3, 86_400e3]);
    expect(delays).toEqual(STANDARD_WEBHOOK_RETRY_DELAYS_MS);
  });

  it('has no attempt past the last one nor before the first', () => {
    const schedule = webhookRetrySchedule(noJitter);
    expect(schedule.delayBeforeAttempt(11)).toBeUndefined();
    expect(schedule.delayBeforeAttempt(0)).toBeUndefined();
    expect(schedule.delayBeforeAttempt(1.5)).toBeUndefined();
  });

  it('spreads each delay by up to ±jitter', () => {
    const low = webhookRetrySchedule({ jitter: 0.2, random: () => 0 });
    const high = webhookRetrySchedule({ jitter: 0.2, random: () => 0.999999 });
    expect(low.delayBeforeAttempt(3)).toBe(240_000);
    expect(high.delayBeforeAttempt(3)).toBe(360_000);
    expect(low.delayBeforeAttempt(1)).toBe(0);
    const random = webhookRetrySchedule();
    for (let index = 0; index < 100; index++) {
      const delay = random.delayBeforeAttempt(10) ?? -1;
      expect(delay).toBeGreaterThanOrEqual(86_400e3 * 0.9);
      expect(delay).toBeLessThanOrEqual(86_400e3 * 1.1);
    }
  });

  it('scales or replaces the schedule for tests', () => {
    expect(webhookRetrySchedule({ ...noJitter, scale: 0.001 }).delayBeforeAttempt(10)).toBe(86_400);
    const custom = webhookRetrySchedule({ ...noJitter, delaysMs: [0, 10, 20] });
    expect(custom.maxAttempts).toBe(3);
    expect(custom.delayBeforeAttempt(3)).toBe(20);
  });

  it('refuses nonsensical options', () => {
    expect(() => webhookRetrySchedule({ delaysMs: [] })).toThrow(RangeError);
    expect(() => webhookRetrySchedule({ delaysMs: [0, -1] })).toThrow(RangeError);
    expect(() => webhookRetrySchedule({ scale: -1 })).toThrow(RangeError);
    expect(() => webhookRetrySchedule({ jitter: 1 })).toThrow(RangeError);
  });
});

describe('deliverWebhook', () => {
  const LOCAL = new AddressPolicy({ allowPrivate: true });
  const secret = generateWebhookSecret();
  const body = JSON.stringify({ id: 'job-42', status: 'COMPLETED', output: { score: 0.93 } });

  const servers: TestServer[] = [];
  async function receiver(respond: Parameters<typeof startServer>[0]): Promise<TestServer> {
    const started = await startServer(respond);
    servers.push(started);
    return started;
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('POSTs the signed JSON body, which the standardwebhooks package verifies, and reports delivered', async () => {
    const verified: unknown[] = [];
    const endpoint = await receiver((request, response) => {
      verified.push(new Webhook(secret).verify(request.body, request.headers as Record<string, string>));
      response.writeHead(204).end();
    });
    const result = await deliverWebhook({
      url: `${endpoint.origin}/hooks/jobs`,
      body,
      secrets: secret,
      id: 'job-42-completed',
      addressPolicy: LOCAL,
      userAgent: 'Switchyard-Test/1',
    });
    expect(result).toMatchObject({ outcome: 'delivered', statusCode: 204, responseExcerpt: '' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(verified).toEqual([JSON.parse(body)]);
    const [request] = endpoint.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/jobs');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Switchyard-Test/1');
    expect(request.headers['webhook-id']).toBe('job-42-completed');
    expect(request.body).toBe(body);
  });

  it('signs with both secrets during a rotation, and keeps the id across attempts', async () => {
    const next = generateWebhookSecret();
    const endpoint = await receiver((request, response) => {
      const headers = request.headers as Record<string, string>;
      new Webhook(secret).verify(request.body, headers);
      new Webhook(next).verify(request.body, headers);
      response.end('ok');
    });
    const attempt = (timestamp: number) =>
      deliverWebhook({ url: endpoint.origin, body, secrets: [secret, next], id: 'msg-1', timestamp, addressPolicy: LOCAL });
    const now = Math.floor(Date.now() / 1000);
    expect((await attempt(now - 5)).outcome).toBe('delivered');
    expect((await attempt(now)).outcome).toBe('delivered');
    expect(endpoint.requests.map((request) => request.headers['webhook-id'])).toEqual(['msg-1', 'msg-1']);
    expect(endpoint.requests.map((request) => Number(request.headers['webhook-timestamp']))).toEqual([now - 5, now]);
  });

  it('reports disable on 410 Gone', async () => {
    const endpoint = await receiver((_request, response) => response.writeHead(410).end('gone'));
    const result = await deliverWebhook({ url: endpoint.origin, body, secrets: secret, id: 'm', addressPolicy: LOCAL });
    expect(result).toMatchObject({ outcome: 'disable', statusCode: 410, responseExcerpt: 'gone' });
  });

  it('reports retry with the receiver’s retry-after', async () => {
    const endpoint = await receiver((_request, response) => response.writeHead(503, { 'retry-after': '30' }).end());
    const result = await deliverWebhook({ url: endpoint.origin, body, secrets: secret, id: 'm', addressPolicy: LOCAL });
    expect(result).toMatchObject({ outcome: 'retry', statusCode: 503, retryAfterMs: 30_000 });
  });

  it('does not follow a redirect: the 3xx itself is a failed attempt', async () => {
    const elsewhere = await receiver((_request, response) => response.end('ok'));
    const endpoint = await receiver((_request, response) => response.writeHead(307, { location: elsewhere.origin }).end());
    const result = await deliverWebhook({ url: endpoint.origin, body, secrets: secret, id: 'm', addressPolicy: LOCAL });
    expect(result).toMatchObject({ outcome: 'retry', statusCode: 307 });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('keeps only an excerpt of a large answer, which does not make the attempt fail', async () => {
    const chatty = await receiver((_request, response) => response.end('y'.repeat(50_000)));
    const result = await deliverWebhook({ url: chatty.origin, body, secrets: secret, id: 'm', addressPolicy: LOCAL });
    expect(result.outcome).toBe('delivered');
    expect(result.responseExcerpt).toBe('y'.repeat(1024));
  });

  it('reports refused, without sending, for a destination the policy refuses', async () => {
    const endpoint = await receiver((_request, response) => response.end('ok'));
    const result = await deliverWebhook({ url: endpoint.origin, body, secrets: secret, id: 'm' });
    expect(result.outcome).toBe('refused');
    expect(result.error).toContain('127.0.0.1 is loopback');
    expect(result.statusCode).toBeUndefined();
    expect(endpoint.requests).toHaveLength(0);
  });

  it('reports retry with the reason when the receiver cannot be reached or is too slow', async () => {
    const port = await unusedPort();
    const unreachable = await deliverWebhook({
      url: `http://127.0.0.1:${port}/`,
      body,
      secrets: secret,
      id: 'm',
      addressPolicy: LOCAL,
    });
    expect(unreachable).toMatchObject({ outcome: 'retry' });
    expect(unreachable.error).toContain('ECONNREFUSED');

    const slow = await receiver(() => undefined);
    const timedOut = await deliverWebhook({ url: slow.origin, body, secrets: secret, id: 'm', addressPolicy: LOCAL, timeoutMs: 150 });
    expect(timedOut).toMatchObject({ outcome: 'retry', error: `Request to ${slow.origin} did not complete within 150 ms` });
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(140);
  });
});
