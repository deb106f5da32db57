import { AddressRange, classifyAddress, isPublicAddress } from '../src';

describe('classifyAddress', () => {
  const refusedIPv4: Array<[string, AddressRange]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['169.254.1.1', 'linkLocal'],
    ['169.254.169.254', 'cloudMetadata'],
    ['169.254.170.2', 'cloudMetadata'],
    ['169.254.170.23', 'cloudMetadata'],
    ['100.100.100.200', 'cloudMetadata'],
    ['168.63.129.16', 'cloudMetadata'],
    ['192.0.0.192', 'cloudMetadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
  ];

  const refusedIPv6: Array<[string, AddressRange]> = [
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['febf:ffff::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'cloudMetadata'],
    ['fd00:ec2::23', 'cloudMetadata'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001::1', 'reserved'], // Teredo
    ['2001:2::1', 'benchmarking'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::a00:1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['fec0::1', 'reserved'],
    ['4000::1', 'reserved'], // outside 2000::/3, unallocated
    ['::8.8.8.8', 'reserved'], // deprecated IPv4-compatible form never reaches a public host
  ];

  const refusedCarryingIPv4: Array<[string, AddressRange, string]> = [
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::ffff:10.0.0.1', 'private', '10.0.0.1'],
    ['::ffff:169.254.169.254', 'cloudMetadata', '169.254.169.254'],
    ['::ffff:0.0.0.0', 'unspecified', '0.0.0.0'],
    ['::127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:0:a00:1', 'private', '10.0.0.1'],
    ['64:ff9b::7f00:1', 'loopback', '127.0.0.1'],
    ['64:ff9b::10.0.0.1', 'private', '10.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'cloudMetadata', '169.254.169.254'],
    ['2002:7f00:1::', 'loopback', '127.0.0.1'],
    ['2002:a00:1::1', 'private', '10.0.0.1'],
    ['2002:c0a8:101::', 'private', '192.168.1.1'],
    ['2002:a9fe:a9fe::1', 'cloudMetadata', '169.254.169.254'],
    ['2002:6440:1::', 'carrierGradeNat', '100.64.0.1'],
  ];

  const publicAddresses = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '11.0.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '169.255.0.1',
    '192.169.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001::1',
    '2001:200::1', // just past the 2001::/23 IETF block
  ];

  const publicCarryingIPv4: Array<[string, string]> = [
    ['::ffff:8.8.8.8', '8.8.8.8'],
    ['64:ff9b::8.8.8.8', '8.8.8.8'],
    ['2002:808:808::1', '8.8.8.8'],
  ];

  it.each(refusedIPv4)('classifies %s as %s', (address, range) => {
    expect(classifyAddress(address)).toEqual({ address, range });
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(refusedIPv6)('classifies %s as %s', (address, range) => {
    expect(classifyAddress(address).range).toBe(range);
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(refusedCarryingIPv4)('classifies %s by the IPv4 address it carries: %s (%s)', (address, range, embedded) => {
    expect(classifyAddress(address)).toMatchObject({ range, embeddedIPv4: embedded });
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(publicAddresses)('classifies %s as public', (address) => {
    expect(classifyAddress(address).range).toBe('public');
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(publicCarryingIPv4)('classifies %s, which carries public %s, as public', (address, embedded) => {
    expect(classifyAddress(address)).toMatchObject({ range: 'public', embeddedIPv4: embedded });
  });

  it('gives IPv6 addresses in canonical compressed form', () => {
    expect(classifyAddress('0:0:0:0:0:0:0:1').address).toBe('::1');
    expect(classifyAddress('2001:0DB8:0000:0000:0000:0000:0000:0001').address).toBe('2001:db8::1');
    // The IPv4-compatible form, read as the kernel reads it (not as IPv4-mapped).
    expect(classifyAddress('::8.8.8.8').address).toBe('::808:808');
  });

  it.each(['localhost', '0x7f.1', '2130706433', '127.1', '', '1.2.3.4.5', '[::1]'])(
    'refuses to classify %j, which is not an IP address in standard notation',
    (text) => {
      expect(() => classifyAddress(text)).toThrow(TypeError);
    },
  );
});
