import { AddressPolicy, checkUrl, UnsafeUrlError, UnsafeUrlReason } from '../src';

function refusal(url: string, policy?: AddressPolicy): UnsafeUrlError {
  try {
    checkUrl(url, policy);
  } catch (error) {
    if (error instanceof UnsafeUrlError) return error;
    throw error;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('checkUrl', () => {
  it('accepts a public https URL and keeps only the origin as its name', () => {
    const destination = checkUrl('https://Hooks.Example.com/deliver?token=abc');
    expect(destination.hostname).toBe('hooks.example.com');
    expect(destination.literalAddress).toBeUndefined();
    expect(destination.target).toBe('https://hooks.example.com');
    expect(destination.url.href).toBe('https://hooks.example.com/deliver?token=abc');
  });

  it('recognises a public IP literal', () => {
    expect(checkUrl('http://8.8.8.8:8080/x').literalAddress).toBe('8.8.8.8');
    expect(checkUrl('http://[2606:4700:4700::1111]/').literalAddress).toBe('2606:4700:4700::1111');
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/file',
    'gopher://example.com:70/_stats',
    'ws://example.com/',
    'javascript:alert(1)',
    'data:text/plain,hi',
    'dict://example.com:11211/',
  ])('refuses the scheme of %s', (url) => {
    const error = refusal(url);
    expect(error.reason).toBe('unsupported-scheme');
    expect(error.message).toContain('only http: and https: are allowed');
  });

  it.each(['not a url', '/relative/path', 'http://', 'http://exa mple.com/'])('refuses %j as an invalid URL', (url) => {
    expect(refusal(url).reason).toBe('invalid-url');
  });

  it.each(['https://user:s3cr3t@example.com/', 'https://user@example.com/', 'https://:s3cr3t@example.com/'])(
    'refuses credentials in %s without repeating them',
    (url) => {
      const error = refusal(url);
      expect(error.reason).toBe('credentials-in-url');
      expect(error.message).not.toContain('s3cr3t');
      expect(error.message).not.toContain('user');
      expect(error.target).toBe('https://example.com');
    },
  );

  const literalSpellings: Array<[string, string]> = [
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://[::1]/', '::1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '::ffff:7f00:1'],
    ['http://[::]/', '::'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://2852039166/', '169.254.169.254'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254'],
    ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe'],
    ['http://100.100.100.200/', '100.100.100.200'],
    ['http://10.0.0.1:6379/', '10.0.0.1'],
    ['http://[fe80::1]/', 'fe80::1'],
  ];

  it.each(literalSpellings)('refuses %s, the address %s', (url, address) => {
    const error = refusal(url);
    expect(error.reason).toBe('blocked-address');
    expect(error.message).toContain(address);
  });

  const blockedNames: Array<[string, UnsafeUrlReason]> = [
    ['http://localhost:8080/', 'blocked-hostname'],
    ['http://LOCALHOST./', 'blocked-hostname'],
    ['http://app.localhost/', 'blocked-hostname'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'blocked-hostname'],
    ['http://metadata/computeMetadata/v1/', 'blocked-hostname'],
    ['http://instance-data/latest/', 'blocked-hostname'],
  ];

  it.each(blockedNames)('refuses the host name of %s', (url, reason) => {
    expect(refusal(url).reason).toBe(reason);
  });

  it('never repeats the path or query of a refused URL', () => {
    const error = refusal('http://10.0.0.1/hooks/T0123/s3cr3t-path?token=s3cr3t-query');
    expect(error.message).not.toContain('s3cr3t');
    expect(error.target).toBe('http://10.0.0.1');
  });

  describe('with private destinations allowed', () => {
    const policy = new AddressPolicy({ allowPrivate: true });

    it('accepts loopback and local names', () => {
      expect(checkUrl('http://127.0.0.1:3000/hook', policy).literalAddress).toBe('127.0.0.1');
      expect(checkUrl('http://[::1]:3000/hook', policy).literalAddress).toBe('::1');
      expect(checkUrl('http://localhost:3000/hook', policy).hostname).toBe('localhost');
    });

    it('still refuses metadata services', () => {
      expect(refusal('http://169.254.169.254/', policy).reason).toBe('blocked-address');
      expect(refusal('http://[::ffff:169.254.169.254]/', policy).reason).toBe('blocked-address');
      expect(refusal('http://metadata.google.internal/', policy).reason).toBe('blocked-hostname');
    });
  });
});
