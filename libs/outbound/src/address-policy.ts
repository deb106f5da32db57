import { AddressClassification, AddressRange, classifyAddress } from './address-ranges';
import { InvalidAddressPolicyError, UnsafeUrlError } from './errors';
import { Cidr, inCidr, parseCidr, parseIp } from './ip-parsing';

export interface AddressPolicyOptions {
  /**
   * Also allow loopback, private (RFC 1918), carrier-grade NAT and unique-local IPv6 destinations,
   * and the host names meant for them (`localhost`, `*.local`, `*.internal`…): for tests and
   * on-premises installs whose receivers live on the local network.
   */
  allowPrivate?: boolean;
  /**
   * Destinations always allowed, whatever their range: IP addresses, CIDRs (`10.20.0.0/16`,
   * `fd12:3456::/32`), host names (`hooks.corp.example`) or every sub-domain of one (`*.corp.example`).
   * An allowed host name may resolve to any address. Cloud metadata services are never allowed.
   */
  allow?: readonly string[];
}

const PRIVATE_RANGES: ReadonlySet<AddressRange> = new Set(['loopback', 'private', 'carrierGradeNat', 'uniqueLocal']);

/** Names of instance metadata services: refused whatever the policy says. */
const METADATA_HOSTNAMES: ReadonlySet<string> = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
]);

/** Names that only make sense inside a machine or a local network (RFC 6761, RFC 8375, ICANN's .internal). */
const LOCAL_HOSTNAME_SUFFIXES = ['localhost', 'localdomain', 'local', 'internal', 'home.arpa', 'lan'];

const HOSTNAME_PATTERN = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** Drops the root label's dot, so that `localhost.` is judged as `localhost`. */
function normalizeHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

function hasSuffix(hostname: string, suffix: string): boolean {
  return hostname === suffix || hostname.endsWith(`.${suffix}`);
}

const RANGE_DESCRIPTIONS: Readonly<Record<AddressRange, string>> = {
  public: 'public',
  cloudMetadata: 'a cloud metadata service',
  unspecified: 'unspecified',
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local',
  linkLocal: 'link-local',
  multicast: 'multicast',
  broadcast: 'broadcast',
  documentation: 'for documentation',
  benchmarking: 'for benchmarking',
  reserved: 'reserved',
};

function describeRefusal({ address, embeddedIPv4, range }: AddressClassification, hostname?: string): string {
  const subject = embeddedIPv4 ? `${address} (carrying ${embeddedIPv4})` : address;
  const what = RANGE_DESCRIPTIONS[range];
  return hostname ? `${normalizeHostname(hostname)} resolves to ${subject}, which is ${what}` : `${subject} is ${what}`;
}

interface AllowList {
  cidrs: readonly Cidr[];
  hosts: ReadonlySet<string>;
  /** Domains whose every sub-domain is allowed (from `*.domain` entries). */
  domains: readonly string[];
}

function parseAllowList(entries: readonly string[]): AllowList {
  const cidrs: Cidr[] = [];
  const hosts = new Set<string>();
  const domains: string[] = [];
  for (const entry of entries) {
    const text = normalizeHostname(entry.trim());
    const address = parseIp(text);
    if (text.includes('/')) {
      const cidr = parseCidr(text);
      if (!cidr) throw new InvalidAddressPolicyError(entry);
      cidrs.push(cidr);
    } else if (address) {
      cidrs.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (!HOSTNAME_PATTERN.test(text)) {
      throw new InvalidAddressPolicyError(entry);
    } else if (text.startsWith('*.')) {
      domains.push(text.slice(2));
    } else {
      hosts.add(text);
    }
  }
  return { cidrs, hosts, domains };
}

/**
 * Decides which destinations outbound requests may reach. By default only public addresses:
 * build one at start-up from configuration and pass it to every request.
 */
export class AddressPolicy {
  static readonly PUBLIC_ONLY = new AddressPolicy();

  private readonly allowPrivate: boolean;
  private readonly allowList: AllowList;

  constructor(options: AddressPolicyOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
    this.allowList = parseAllowList(options.allow ?? []);
  }

  /** Whether the host name is on the allow-list (then any address it resolves to is accepted, metadata excepted). */
  isAllowedHostname(hostname: string): boolean {
    const name = normalizeHostname(hostname);
    return this.allowList.hosts.has(name) || this.allowList.domains.some((domain) => name.endsWith(`.${domain}`));
  }

  /** Refuses host names by name: metadata services always, local-only names unless private destinations are allowed. */
  checkHostname(hostname: string, target: string): void {
    const name = normalizeHostname(hostname);
    if (METADATA_HOSTNAMES.has(name)) {
      throw new UnsafeUrlError('blocked-hostname', target, `${name} is a cloud metadata service`);
    }
    if (this.allowPrivate || this.isAllowedHostname(name)) return;
    const suffix = LOCAL_HOSTNAME_SUFFIXES.find((candidate) => hasSuffix(name, candidate));
    if (suffix) {
      throw new UnsafeUrlError('blocked-hostname', target, `${name} is a local-network name (.${suffix})`);
    }
  }

  /**
   * Refuses an address the request would connect to. `hostname` is the name it was resolved from,
   * or undefined for an IP literal in the URL.
   */
  checkAddress(address: string, hostname: string | undefined, target: string): void {
    const classification = classifyAddress(address);
    if (classification.range !== 'cloudMetadata' && this.isAllowedAddress(classification, hostname)) return;
    throw new UnsafeUrlError('blocked-address', target, describeRefusal(classification, hostname));
  }

  private isAllowedAddress(classification: AddressClassification, hostname: string | undefined): boolean {
    if (classification.range === 'public') return true;
    if (this.allowPrivate && PRIVATE_RANGES.has(classification.range)) return true;
    if (hostname !== undefined && this.isAllowedHostname(hostname)) return true;
    return this.isInAllowedCidr(classification.address) || (classification.embeddedIPv4 !== undefined && this.isInAllowedCidr(classification.embeddedIPv4));
  }

  private isInAllowedCidr(address: string): boolean {
    const parsed = parseIp(address);
    return parsed !== undefined && this.allowList.cidrs.some((cidr) => inCidr(parsed, cidr));
  }
}
