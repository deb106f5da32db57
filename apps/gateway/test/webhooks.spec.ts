import { Webhook } from 'standardwebhooks';
import { deriveWebhookSecret } from '../src/auth/api-key-material';
import { API_KEY, eventually, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';
import { WebhookReceiver } from './support/webhook-receiver';

describe('webhooks', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    platform = await startTestPlatform();
    gateway = platform.gateway;
  });

  afterAll(() => platform.close());

  it('POSTs the final status object, signed per Standard Webhooks with the key’s secret', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: { n: 7 }, webhook: receiver.url });
      const [delivery] = await eventually(async () => receiver.received.length === 1 && receiver.received);
      const verified = new Webhook(deriveWebhookSecret(API_KEY)).verify(delivery.body, delivery.headers as Record<string, string>);
      expect(verified).toMatchObject({ id: run.body.id, status: 'COMPLETED', output: { echo: { n: 7 } } });
      expect(delivery.headers['content-type']).toContain('application/json');
    } finally {
      await receiver.close();
    }
  });

  it('redelivers with the same webhook-id after the receiver fails twice, recording every attempt', async () => {
    const receiver = await WebhookReceiver.start([500, 503]);
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: { fail: 'nope' }, webhook: receiver.url });
      await eventually(async () => receiver.received.length === 3, 15_000);
      const ids = new Set(receiver.received.map((delivery) => delivery.headers['webhook-id']));
      expect(ids.size).toBe(1);
      expect(JSON.parse(receiver.received[2].body)).toMatchObject({ id: run.body.id, status: 'FAILED' });

      const recorded = await eventually(async () => {
        const row = await gateway.database.prisma.webhookDelivery.findFirst({
          where: { jobId: run.body.id },
          include: { attemptLog: { orderBy: { attempt: 'asc' } } },
        });
        return row?.status === 'DELIVERED' && row;
      });
      expect(recorded.attempts).toBe(3);
      expect(recorded.attemptLog.map((attempt) => attempt.statusCode)).toEqual([500, 503, 200]);
    } finally {
      await receiver.close();
    }
  });

  it('stops delivering when the receiver answers 410 Gone', async () => {
    const receiver = await WebhookReceiver.start([410]);
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: {}, webhook: receiver.url });
      const row = await eventually(async () => {
        const delivery = await gateway.database.prisma.webhookDelivery.findFirst({ where: { jobId: run.body.id } });
        return delivery?.status === 'DISABLED' && delivery;
      });
      expect(row.attempts).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it.each([
    ['ftp://example.com/hook', 'unsupported-scheme'],
    ['not a url', 'invalid-url'],
    ['http://169.254.169.254/latest/meta-data', 'blocked-address'],
    ['http://user:pass@example.com/hook', 'credentials-in-url'],
  ])('refuses the webhook %s at submission', async (webhook, reason) => {
    const response = await gateway.request('POST', '/v2/echo/run', { input: {}, webhook });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_request', field: 'webhook' });
    expect(response.body.error).toContain(reason);
  });
});

describe('webhooks to internal addresses', () => {
  it('are refused unless configuration allows private destinations', async () => {
    const { gateway, close } = await startTestPlatform({ echoWorker: false, config: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
    try {
      for (const webhook of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://2130706433/hook', 'http://10.0.0.7/hook']) {
        const response = await gateway.request('POST', '/v2/echo/run', { input: {}, webhook });
        expect({ webhook, status: response.status, field: response.body.field }).toEqual({ webhook, status: 400, field: 'webhook' });
      }
    } finally {
      await close();
    }
  });
});
