// Who the client is, for the per-IP limits: the TCP peer, or, when that peer is a proxy
// listed in TRUSTED_PROXIES, the address the proxies recorded in X-Forwarded-For. A header
// from anyone else is the client's own claim and is ignored: believed from any sender, it
// would let a client pick a fresh address for every request.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv4 } from 'node:net';

/** One entry of TRUSTED_PROXIES: an address and how many leading bits of it must match. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses a comma-separated list of CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses
 * (`192.0.2.7`, `::1`). Throws, naming the entry, on one that is neither.
 */
export function parseCidrs(list: string): Cidr[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [address = '', bits, extra] = entry.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : isIP(address) === 6 ? 'ipv6' : undefined;
      const max = family === 'ipv4' ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (!family || extra !== undefined || !/^\d{0,3}$/.test(bits ?? '') || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
        throw new Error(`has "${entry}", which is not an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8.`);
      }
      return { address, prefix, family };
    });
}

/** The proxies whose X-Forwarded-For entries are believed; empty believes none. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly any: boolean;

  constructor(cidrs: Cidr[]) {
    for (const { address, prefix, family } of cidrs) this.list.addSubnet(address, prefix, family);
    this.any = cidrs.length > 0;
  }

  /** Whether `address` is one of them (an IPv4-mapped IPv6 address matches its IPv4 entries). */
  has(address: string): boolean {
    const family = isIP(address);
    return this.any && family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client's address. The socket's peer, unless it is a trusted proxy: then
 * X-Forwarded-For is read from its end (each proxy appends the address it was called
 * from), skipping the trusted proxies, and the first address that is not one is the
 * client. Entries further left were written by the client and prove nothing.
 */
export function clientAddress(request: IncomingMessage, trusted: TrustedProxies): string {
  const peer = normalizeAddress(request.socket.remoteAddress ?? '') ?? 'unknown';
  if (!trusted.has(peer)) return peer;
  const header = request.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  let client = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = normalizeAddress(stripPort(entries[i]!.trim()));
    // Not an address: written by the client (a trusted proxy writes addresses), so the
    // nearest hop we could trust stands for it.
    if (!entry) break;
    client = entry;
    if (!trusted.has(entry)) break;
  }
  return client;
}

/**
 * The key a client's address is limited under. IPv4: the address. IPv6: its /64, the
 * smallest block a provider gives one subscriber (one host may use any of its 2^64
 * addresses, so a per-address limit would not hold it).
 */
export function limitKey(address: string): string {
  if (!address.includes(':')) return address;
  const groups = ipv6Groups(address);
  return groups ? `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64` : address;
}

/** A valid IP address in one spelling: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4, zone ids dropped; else undefined. */
export function normalizeAddress(text: string): string | undefined {
  const address = text.split('%')[0]!.toLowerCase();
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  const groups = ipv6Groups(address)!;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return address;
}

// Private: "[2001:db8::1]:443" and "192.0.2.1:443" (some proxies add the port) to the address.
function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return withPort ? withPort[1]! : entry;
}

// Private: the eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups).
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail && isIPv4(tail[1]!)) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}
