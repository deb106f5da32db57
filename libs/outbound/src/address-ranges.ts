import ipaddr from 'ipaddr.js';
import { Cidr, inCidr, IpAddress, parseCidr, parseIp } from './ip-parsing';

/**
 * What an IP address is, for the purpose of deciding whether we may connect to it.
 * Only `public` is reachable by default; see AddressPolicy for what each option opens.
 */
export type AddressRange =
  | 'public'
  | 'cloudMetadata'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'carrierGradeNat'
  | 'uniqueLocal'
  | 'linkLocal'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

export interface AddressClassification {
  /** The address in canonical form (IPv6 compressed per RFC 5952). */
  address: string;
  range: AddressRange;
  /** For an IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4): that IPv4 address. */
  embeddedIPv4?: string;
}

type RangeTable = ReadonlyArray<readonly [Cidr, AddressRange]>;

function knownCidr(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`Bad CIDR in the range tables: ${text}`);
  return cidr;
}

function table(entries: ReadonlyArray<readonly [string, AddressRange]>): RangeTable {
  return entries.map(([cidr, range]) => [knownCidr(cidr), range] as const);
}

// First match wins, so the single metadata addresses come before the blocks holding them.
// Sources: IANA IPv4/IPv6 Special-Purpose Address Registries (entries not globally reachable)
// and the cloud providers' instance metadata documentation.
const IPV4_RANGES = table([
  ['169.254.169.254/32', 'cloudMetadata'], // AWS, GCP, Azure IMDS, OpenStack, DigitalOcean, Hetzner…
  ['169.254.170.2/32', 'cloudMetadata'], // AWS ECS task metadata and credentials
  ['169.254.170.23/32', 'cloudMetadata'], // AWS EKS Pod Identity agent
  ['169.254.0.23/32', 'cloudMetadata'], // Tencent Cloud
  ['100.100.100.200/32', 'cloudMetadata'], // Alibaba Cloud
  ['168.63.129.16/32', 'cloudMetadata'], // Azure WireServer (a public address, reachable only from Azure VMs)
  ['192.0.0.192/32', 'cloudMetadata'], // Oracle Cloud
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'carrierGradeNat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'linkLocal'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['198.18.0.0/15', 'benchmarking'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

// :: and ::1 lie inside the IPv4-compatible block, so they are looked up before the IPv4 carriers.
const IPV6_UNSPECIFIED_AND_LOOPBACK = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
]);

const IPV6_RANGES = table([
  ['fd00:ec2::254/128', 'cloudMetadata'], // AWS IMDS over IPv6
  ['fd00:ec2::23/128', 'cloudMetadata'], // AWS EKS Pod Identity agent over IPv6
  ['::/8', 'reserved'], // what is left of it once the IPv4-carrying forms below are taken out
  ['64:ff9b:1::/48', 'reserved'], // local-use NAT64 (RFC 8215)
  ['100::/64', 'reserved'], // discard-only
  ['2001:2::/48', 'benchmarking'],
  ['2001::/23', 'reserved'], // IETF protocol assignments, Teredo included
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved'], // SRv6 segment identifiers
  ['fc00::/7', 'uniqueLocal'],
  ['fe80::/10', 'linkLocal'],
  ['fec0::/10', 'reserved'], // deprecated site-local
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST = knownCidr('2000::/3');

/**
 * IPv6 forms that carry an IPv4 address: the packet ends up at (or is translated to) that IPv4
 * address, so it decides. `deprecated` forms are never routed to a public IPv4 host.
 */
const IPV4_CARRIERS: ReadonlyArray<{ prefix: Cidr; firstByte: number; deprecated: boolean }> = [
  { prefix: '::ffff:0:0/96', firstByte: 12, deprecated: false }, // IPv4-mapped
  { prefix: '64:ff9b::/96', firstByte: 12, deprecated: false }, // NAT64 well-known prefix
  { prefix: '2002::/16', firstByte: 2, deprecated: false }, // 6to4
  { prefix: '::ffff:0:0:0/96', firstByte: 12, deprecated: true }, // SIIT IPv4-translated
  { prefix: '::/96', firstByte: 12, deprecated: true }, // IPv4-compatible
].map((carrier) => ({ ...carrier, prefix: knownCidr(carrier.prefix) }));

function lookUp(address: IpAddress, ranges: RangeTable): AddressRange | undefined {
  return ranges.find(([cidr]) => inCidr(address, cidr))?.[1];
}

function classifyIPv4(address: ipaddr.IPv4): AddressRange {
  return lookUp(address, IPV4_RANGES) ?? 'public';
}

function classifyIPv6(address: ipaddr.IPv6): AddressClassification {
  const canonical = address.toRFC5952String();
  const special = lookUp(address, IPV6_UNSPECIFIED_AND_LOOPBACK);
  if (special) return { address: canonical, range: special };

  const carrier = IPV4_CARRIERS.find(({ prefix }) => inCidr(address, prefix));
  if (carrier) {
    const bytes = address.toByteArray().slice(carrier.firstByte, carrier.firstByte + 4);
    const embedded = new ipaddr.IPv4(bytes);
    const embeddedRange = classifyIPv4(embedded);
    const range = embeddedRange === 'public' && carrier.deprecated ? 'reserved' : embeddedRange;
    return { address: canonical, range, embeddedIPv4: embedded.toString() };
  }

  const range = lookUp(address, IPV6_RANGES) ?? (inCidr(address, GLOBAL_UNICAST) ? 'public' : 'reserved');
  return { address: canonical, range };
}

/** Says which range an IP address (v4 or v6, as text) belongs to. Throws a TypeError for anything else. */
export function classifyAddress(address: string): AddressClassification {
  const parsed = parseIp(address);
  if (!parsed) throw new TypeError(`Not an IP address: "${address}"`);
  if (parsed.kind() === 'ipv4') return { address: parsed.toString(), range: classifyIPv4(parsed as ipaddr.IPv4) };
  return classifyIPv6(parsed as ipaddr.IPv6);
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).range === 'public';
}
