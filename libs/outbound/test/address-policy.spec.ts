import { AddressPolicy, InvalidAddressPolicyError, UnsafeUrlError } from '../src';

const TARGET = 'http://example.test';

function refusal(check: () => void): UnsafeUrlError {
  try {
    check();
  } catch (error) {
    if (error instanceof UnsafeUrlError) return error;
    throw error;
  }
  throw new Error('expected the check to refuse');
}

describe('AddressPolicy', () => {
  describe('by default (public only)', () => {
    const policy = AddressPolicy.PUBLIC_ONLY;

    it('accepts public addresses', () => {
      expect(() => policy.checkAddress('93.184.216.34', 'example.com', TARGET)).not.toThrow();
      expect(() => policy.checkAddress('2606:4700:4700::1111', undefined, TARGET)).not.toThrow();
    });

    it('refuses a private address and says which name resolved to it and why', () => {
      const error = refusal(() => policy.checkAddress('10.0.0.7', 'hooks.example.com', TARGET));
      expect(error.reason).toBe('blocked-address');
      expect(error.message).toBe('Refused http://example.test: hooks.example.com resolves to 10.0.0.7, which is private (blocked-address)');
    });

    it('names the IPv4 address carried by an IPv6 one', () => {
      const error = refusal(() => policy.checkAddress('::ffff:127.0.0.1', undefined, TARGET));
      expect(error.message).toBe('Refused http://example.test: ::ffff:7f00:1 (carrying 127.0.0.1) is loopback (blocked-address)');
    });

    it.each(['localhost', 'api.localhost', 'printer.local', 'db.internal', 'router.home.arpa', 'nas.lan', 'localhost.'])(
      'refuses the local-network name %s',
      (hostname) => {
        expect(refusal(() => policy.checkHostname(hostname, TARGET)).reason).toBe('blocked-hostname');
      },
    );

    it('accepts ordinary names (their addresses are checked once resolved)', () => {
      expect(() => policy.checkHostname('hooks.example.com', TARGET)).not.toThrow();
      expect(() => policy.checkHostname('localhost.example.com', TARGET)).not.toThrow();
    });
  });

  describe('with allowPrivate', () => {
    const policy = new AddressPolicy({ allowPrivate: true });

    it.each(['127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.0.10', '100.64.0.1', '::1', 'fd12::1', '::ffff:127.0.0.1'])('accepts %s', (address) => {
      expect(() => policy.checkAddress(address, undefined, TARGET)).not.toThrow();
    });

    const stillRefused = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '::', '169.254.10.1'];
    it.each([...stillRefused, 'fe80::1', '224.0.0.1', '192.0.2.1'])('still refuses %s', (address) => {
      expect(refusal(() => policy.checkAddress(address, undefined, TARGET)).reason).toBe('blocked-address');
    });

    it('accepts local-network names', () => {
      expect(() => policy.checkHostname('localhost', TARGET)).not.toThrow();
      expect(() => policy.checkHostname('db.internal', TARGET)).not.toThrow();
    });
  });

  const metadataNames = ['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata', 'metadata.goog'];
  it.each([...metadataNames, 'instance-data', 'metadata.tencentyun.com'])('refuses the metadata service name %s whatever the policy', (hostname) => {
    const permissive = new AddressPolicy({ allowPrivate: true, allow: ['metadata.google.internal', 'metadata'] });
    const error = refusal(() => permissive.checkHostname(hostname, TARGET));
    expect(error.reason).toBe('blocked-hostname');
    expect(error.message).toContain('is a cloud metadata service');
  });

  it('refuses metadata addresses even when an allow-list entry covers them', () => {
    const policy = new AddressPolicy({ allowPrivate: true, allow: ['169.254.0.0/16', 'fd00::/8', 'hooks.corp.example'] });
    expect(() => policy.checkAddress('169.254.10.10', undefined, TARGET)).not.toThrow();
    expect(() => policy.checkAddress('169.254.169.254', undefined, TARGET)).toThrow(UnsafeUrlError);
    expect(() => policy.checkAddress('fd00:ec2::254', undefined, TARGET)).toThrow(UnsafeUrlError);
    expect(() => policy.checkAddress('169.254.169.254', 'hooks.corp.example', TARGET)).toThrow(UnsafeUrlError);
  });

  describe('allow-list', () => {
    const policy = new AddressPolicy({
      allow: ['10.20.0.0/16', '192.0.2.10', 'fd12:3456::/32', 'hooks.corp.example', '*.svc.corp.example'],
    });

    it('accepts addresses inside an allowed CIDR and nothing next to it', () => {
      expect(() => policy.checkAddress('10.20.3.4', undefined, TARGET)).not.toThrow();
      expect(() => policy.checkAddress('::ffff:10.20.0.1', undefined, TARGET)).not.toThrow();
      expect(() => policy.checkAddress('10.21.0.1', undefined, TARGET)).toThrow(UnsafeUrlError);
      expect(() => policy.checkAddress('fd12:3456:1::1', undefined, TARGET)).not.toThrow();
      expect(() => policy.checkAddress('fd12:3457::1', undefined, TARGET)).toThrow(UnsafeUrlError);
    });

    it('accepts a single allowed address', () => {
      expect(() => policy.checkAddress('192.0.2.10', undefined, TARGET)).not.toThrow();
      expect(() => policy.checkAddress('192.0.2.11', undefined, TARGET)).toThrow(UnsafeUrlError);
    });

    it('accepts any address for an allowed host name, and only for it', () => {
      expect(() => policy.checkAddress('127.0.0.1', 'hooks.corp.example', TARGET)).not.toThrow();
      expect(() => policy.checkAddress('127.0.0.1', 'HOOKS.corp.example.', TARGET)).not.toThrow();
      expect(() => policy.checkAddress('127.0.0.1', 'other.corp.example', TARGET)).toThrow(UnsafeUrlError);
    });

    it('accepts sub-domains of a *. entry but not the domain itself nor look-alikes', () => {
      expect(policy.isAllowedHostname('a.svc.corp.example')).toBe(true);
      expect(policy.isAllowedHostname('a.b.svc.corp.example')).toBe(true);
      expect(policy.isAllowedHostname('svc.corp.example')).toBe(false);
      expect(policy.isAllowedHostname('evilsvc.corp.example')).toBe(false);
    });

    it('lets an allowed name through the local-name check', () => {
      const local = new AddressPolicy({ allow: ['builds.internal'] });
      expect(() => local.checkHostname('builds.internal', TARGET)).not.toThrow();
      expect(() => local.checkHostname('other.internal', TARGET)).toThrow(UnsafeUrlError);
    });
  });

  it.each(['not a host', '10.0.0.0/33', 'http://example.com', '10.0.0.0/', 'fd00::/129', 'a..b', ''])('rejects the allow-list entry %j when built', (entry) => {
    expect(() => new AddressPolicy({ allow: [entry] })).toThrow(InvalidAddressPolicyError);
  });
});
