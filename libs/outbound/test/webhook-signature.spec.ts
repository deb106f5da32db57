import { Webhook, WebhookVerificationError as PackageVerificationError } from 'standardwebhooks';
import { generateWebhookSecret, InvalidWebhookSecretError, signWebhook, verifyWebhook, WebhookVerificationError, WebhookVerificationReason } from '../src';

const BODY = JSON.stringify({ id: 'job-1', status: 'COMPLETED', output: { text: 'héllo ✓' } });
const ID = 'msg_2b7f1c';

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

describe('generateWebhookSecret', () => {
  it('gives whsec_ and the base64 of 32 random bytes, different each time', () => {
    const secrets = [generateWebhookSecret(), generateWebhookSecret()];
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
    expect(secrets[0]).not.toBe(secrets[1]);
  });

  it('is accepted by the standardwebhooks package', () => {
    expect(() => new Webhook(generateWebhookSecret())).not.toThrow();
  });
});

describe('signWebhook', () => {
  it('gives the same signature as the standardwebhooks package', () => {
    const secret = generateWebhookSecret();
    const timestamp = 1_700_000_000;
    const headers = signWebhook({ id: ID, timestamp, body: BODY, secrets: secret });
    expect(headers).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': '1700000000',
      'webhook-signature': new Webhook(secret).sign(ID, new Date(timestamp * 1000), BODY),
    });
  });

  it('produces headers that the standardwebhooks package verifies', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: ID, timestamp: nowSeconds(), body: BODY, secrets: secret });
    expect(new Webhook(secret).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('signs with every active secret during a rotation, each verifiable on its own', () => {
    const [previous, next, unrelated] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    const headers = signWebhook({ id: ID, timestamp: nowSeconds(), body: BODY, secrets: [previous, next] });
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((signature) => signature.startsWith('v1,'))).toBe(true);
    expect(new Webhook(previous).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(new Webhook(next).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(unrelated).verify(BODY, { ...headers })).toThrow(PackageVerificationError);
  });

  it('signs the raw bytes: a Buffer body signs like the same text', () => {
    const secret = generateWebhookSecret();
    const message = { id: ID, timestamp: 1_700_000_000, secrets: secret };
    expect(signWebhook({ ...message, body: Buffer.from(BODY) })).toEqual(signWebhook({ ...message, body: BODY }));
  });

  it('accepts a secret without the whsec_ prefix', () => {
    const secret = generateWebhookSecret();
    const message = { id: ID, timestamp: 1_700_000_000, body: BODY };
    expect(signWebhook({ ...message, secrets: secret.slice(6) })).toEqual(signWebhook({ ...message, secrets: secret }));
  });

  it.each([
    ['too short', `whsec_${Buffer.alloc(16, 1).toString('base64')}`],
    ['too long', `whsec_${Buffer.alloc(65, 1).toString('base64')}`],
    ['not base64', 'whsec_not*base64!'],
    ['empty', 'whsec_'],
  ])('refuses a secret that is %s, without quoting it', (_case, secret) => {
    let error: unknown;
    try {
      signWebhook({ id: ID, timestamp: 1, body: BODY, secrets: secret });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidWebhookSecretError);
    if (secret.length > 6) expect((error as Error).message).not.toContain(secret.slice(6));
  });

  it('refuses an empty list of secrets', () => {
    expect(() => signWebhook({ id: ID, timestamp: 1, body: BODY, secrets: [] })).toThrow(InvalidWebhookSecretError);
  });

  it('refuses a timestamp that is not whole seconds and an id that is not a header token', () => {
    const secrets = generateWebhookSecret();
    expect(() => signWebhook({ id: ID, timestamp: 1_700_000_000.5, body: BODY, secrets })).toThrow(TypeError);
    expect(() => signWebhook({ id: ID, timestamp: Date.now() * 1000 * 1000, body: BODY, secrets })).toThrow(TypeError);
    expect(() => signWebhook({ id: 'has space', timestamp: 1, body: BODY, secrets })).toThrow(TypeError);
    expect(() => signWebhook({ id: '', timestamp: 1, body: BODY, secrets })).toThrow(TypeError);
  });
});

describe('verifyWebhook', () => {
  const secret = generateWebhookSecret();

  function verificationFailure(run: () => unknown): WebhookVerificationReason {
    try {
      run();
    } catch (error) {
      if (error instanceof WebhookVerificationError) return error.reason;
      throw error;
    }
    throw new Error('expected verification to fail');
  }

  it('accepts a message signed by the standardwebhooks package and returns its id and timestamp', () => {
    const timestamp = nowSeconds();
    const headers = {
      'Webhook-Id': ID,
      'Webhook-Timestamp': String(timestamp),
      'Webhook-Signature': new Webhook(secret).sign(ID, new Date(timestamp * 1000), BODY),
    };
    expect(verifyWebhook({ headers, body: BODY, secrets: secret })).toEqual({ id: ID, timestamp });
  });

  it('accepts when any one of several secrets matches any one signature', () => {
    const old = generateWebhookSecret();
    const headers = signWebhook({ id: ID, timestamp: nowSeconds(), body: BODY, secrets: old });
    expect(() => verifyWebhook({ headers, body: BODY, secrets: [secret, old] })).not.toThrow();
  });

  it('ignores signatures of other versions', () => {
    const signed = signWebhook({ id: ID, timestamp: nowSeconds(), body: BODY, secrets: secret });
    const headers = { ...signed, 'webhook-signature': `v1a,${signed['webhook-signature'].slice(3)} v2,abc` };
    expect(verificationFailure(() => verifyWebhook({ headers, body: BODY, secrets: secret }))).toBe('no-matching-signature');
  });

  it('refuses a changed body, a changed id and another secret', () => {
    const headers = signWebhook({ id: ID, timestamp: nowSeconds(), body: BODY, secrets: secret });
    expect(verificationFailure(() => verifyWebhook({ headers, body: `${BODY} `, secrets: secret }))).toBe('no-matching-signature');
    expect(verificationFailure(() => verifyWebhook({ headers: { ...headers, 'webhook-id': 'msg_other' }, body: BODY, secrets: secret }))).toBe(
      'no-matching-signature',
    );
    expect(verificationFailure(() => verifyWebhook({ headers, body: BODY, secrets: generateWebhookSecret() }))).toBe('no-matching-signature');
  });

  it('refuses timestamps outside the tolerance, both ways', () => {
    const now = Date.now();
    const at = (offsetSeconds: number) => signWebhook({ id: ID, timestamp: Math.floor(now / 1000) + offsetSeconds, body: BODY, secrets: secret });
    expect(() => verifyWebhook({ headers: at(-299), body: BODY, secrets: secret, now })).not.toThrow();
    expect(verificationFailure(() => verifyWebhook({ headers: at(-301), body: BODY, secrets: secret, now }))).toBe('timestamp-too-old');
    expect(verificationFailure(() => verifyWebhook({ headers: at(301), body: BODY, secrets: secret, now }))).toBe('timestamp-too-new');
    expect(() => verifyWebhook({ headers: at(-301), body: BODY, secrets: secret, now, toleranceSeconds: 600 })).not.toThrow();
  });

  it('refuses missing headers and a timestamp that is not unix seconds', () => {
    const headers = signWebhook({ id: ID, timestamp: nowSeconds(), body: BODY, secrets: secret });
    const { 'webhook-signature': _signature, ...unsigned } = headers;
    expect(verificationFailure(() => verifyWebhook({ headers: unsigned, body: BODY, secrets: secret }))).toBe('missing-headers');
    expect(
      verificationFailure(() => verifyWebhook({ headers: { ...headers, 'webhook-timestamp': new Date().toISOString() }, body: BODY, secrets: secret })),
    ).toBe('invalid-timestamp');
  });
});
