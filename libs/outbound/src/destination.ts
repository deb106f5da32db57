import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AddressPolicy } from './address-policy';
import { HostResolutionError, UnsafeUrlError } from './errors';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all of its addresses. Injectable so that tests can point names at local servers. */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const results = await lookup(hostname, { all: true, order: 'verbatim' });
  return results.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** A URL that passed the checks that need no DNS. */
export interface Destination {
  url: URL;
  /** The host without IPv6 brackets, as WHATWG normalised it (`http://2130706433/` gives `127.0.0.1`). */
  hostname: string;
  /** Set when the host is an IP address, which then is the only address to connect to. */
  literalAddress?: string;
  /** `scheme://host:port`: how messages name the destination, since paths and queries may carry tokens. */
  target: string;
}

const ALLOWED_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:']);

/**
 * Checks what can be checked without DNS: the scheme, credentials, the host name, and the address
 * when the host is an IP literal. Hosts are judged after WHATWG parsing, so every spelling of an
 * IPv4 address (decimal, octal, hex, shortened) is judged as the address it means.
 */
export function checkUrl(input: string | URL, policy: AddressPolicy = AddressPolicy.PUBLIC_ONLY): Destination {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UnsafeUrlError('invalid-url', 'the URL', 'it is not a valid absolute URL');
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) {
    throw new UnsafeUrlError('unsupported-scheme', `a ${url.protocol} URL`, 'only http: and https: are allowed');
  }
  const target = url.origin;
  if (url.username || url.password) {
    throw new UnsafeUrlError('credentials-in-url', target, 'the URL carries credentials; send them in a header');
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(hostname)) {
    policy.checkAddress(hostname, undefined, target);
    return { url, hostname, literalAddress: hostname, target };
  }
  policy.checkHostname(hostname, target);
  return { url, hostname, target };
}

/**
 * Resolves the destination once and checks every address: one refused address refuses them all,
 * since the connection could go to any of them. Connect only to the addresses returned.
 */
export async function resolveDestination(destination: Destination, policy: AddressPolicy, resolver: HostResolver): Promise<readonly ResolvedAddress[]> {
  const { hostname, literalAddress, target } = destination;
  if (literalAddress) return [{ address: literalAddress, family: isIP(literalAddress) === 6 ? 6 : 4 }];

  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await resolver(hostname);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new HostResolutionError(target, `could not resolve ${hostname}: ${detail}`, { cause: error });
  }
  if (addresses.length === 0) throw new HostResolutionError(target, `${hostname} has no address`);
  for (const { address } of addresses) policy.checkAddress(address, hostname, target);
  return addresses;
}
