import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type Cidr = [IpAddress, number];

/**
 * Parses an IP address in standard notation (as `net.isIP` accepts it), or returns undefined.
 * IPv6 goes through the WHATWG host parser first: ipaddr.js reads `::a.b.c.d` as IPv4-mapped,
 * whereas the kernel (inet_pton) and WHATWG read it as the IPv4-compatible `::hhhh:hhhh`.
 */
export function parseIp(text: string): IpAddress | undefined {
  const family = isIP(text);
  if (family === 4) return ipaddr.IPv4.parse(text);
  if (family !== 6) return undefined;
  const withoutZone = text.replace(/%.*$/, '');
  return ipaddr.IPv6.parse(new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1));
}

/** Parses `address/prefix`, or returns undefined. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const address = match ? parseIp(match[1]) : undefined;
  if (!match || !address) return undefined;
  const prefix = Number(match[2]);
  return prefix <= (address.kind() === 'ipv4' ? 32 : 128) ? [address, prefix] : undefined;
}

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  return address.kind() === cidr[0].kind() && address.match(cidr);
}
