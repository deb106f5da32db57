import { Writable } from 'node:stream';
import { createLogger } from '../src/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('test', 'debug', stream), lines };
}

describe('log redaction', () => {
  const key = 'sy_' + 'k'.repeat(43);
  const image = 'data:image/png;base64,' + 'iVBORw0KGgo'.repeat(100);

  it('redacts authorization headers, keys, webhook and S3 secrets, and anything named like a secret', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: `Bearer ${key}`, cookie: 'session=1' } },
        apiKey: key,
        api_key: key,
        webhookSecret: 'whsec_' + 'a'.repeat(40),
        s3Config: { accessId: 'AKIAEXAMPLE', accessSecret: 'wJalrXUtnFEMI', bucketName: 'bucket' },
        nested: { db: { password: 'hunter2', token: 't0ken', refreshToken: 'r' } },
        note: `the client sent Bearer ${key} and whsec_${'b'.repeat(40)}`,
      },
      `request with ${key}`,
    );
    const line = lines.join('\n');
    for (const secret of [key, 'whsec_aaaa', 'AKIAEXAMPLE', 'wJalrXUtnFEMI', 'hunter2', 't0ken', 'session=1', 'whsec_bbbb']) expect(line).not.toContain(secret);
    const entry = JSON.parse(lines[0]);
    expect(entry.s3Config).toEqual({ accessId: '[redacted]', accessSecret: '[redacted]', bucketName: 'bucket' });
    expect(entry.note).toBe('the client sent Bearer [redacted] and whsec_[redacted]');
    expect(entry.msg).toBe('request with sy_[redacted]');
  });

  it('truncates job inputs and leaves base64 payloads out', () => {
    const { logger, lines } = capture();
    logger.debug({ input: { image, raw: 'QUJD'.repeat(200), text: 'x'.repeat(5_000), items: Array.from({ length: 100 }, (_, i) => i) } }, 'job input');
    const entry = JSON.parse(lines[0]);
    expect(entry.input.image).toBe(`[base64, ${image.length} characters]`);
    expect(entry.input.raw).toBe('[base64, 800 characters]');
    expect(entry.input.text.length).toBeLessThan(600);
    expect(entry.input.items).toHaveLength(21);
    expect(lines[0]).not.toContain('iVBORw0KGgo');
  });

  it('keeps errors readable, with secrets in their messages masked', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error(`upstream refused key ${key}`) }, 'failed');
    const entry = JSON.parse(lines[0]);
    expect(entry.err.message).toBe('upstream refused key sy_[redacted]');
    expect(entry.err.stack).toContain('log-redaction.spec');
    expect(lines[0]).not.toContain(key);
  });
});
