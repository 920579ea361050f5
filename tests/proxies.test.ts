// Who a client is, for the per-IP limits: X-Forwarded-For is believed only from a peer in
// TRUSTED_PROXIES, IPv6 clients are counted per /64 (IPv4-mapped addresses as IPv4), and a
// request with an invalid token is counted before it is refused. Real gateways over HTTP
// in front of real subgraphs; the proxy and its clients are 127.0.0.x source addresses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clientAddress, limitKey, parseCidrs, TrustedProxies } from '../gateway/clientAddress.js';
import { readGatewayConfig } from '../gateway/config.js';
import { clientFrom, type Client } from './support/clients.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
const clients: Client[] = [];
const client = (address: string) => {
  const made = clientFrom(address);
  clients.push(made);
  return made;
};

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((each) => each.close()));
  await stack?.stop();
});

const PROXY = '127.0.0.21';
const statusOf = async (from: Client, url: string, headers: Record<string, string> = {}) => (await from.post(url, { query: '{ __typename }' }, headers)).status;
const forwardedFor = (chain: string) => ({ 'x-forwarded-for': chain });

describe('X-Forwarded-For', () => {
  it('is believed from a proxy in TRUSTED_PROXIES: each client behind it has its own count', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_IP: '2', TRUSTED_PROXIES: `${PROXY}/32` });
    const proxy = client(PROXY);
    const viaProxy = (clientIp: string) => statusOf(proxy, url, forwardedFor(clientIp));
    expect([await viaProxy('198.51.100.1'), await viaProxy('198.51.100.1'), await viaProxy('198.51.100.1')]).toEqual([200, 200, 429]);
    expect(await viaProxy('198.51.100.2')).toBe(200);
    // The proxy's own requests (no header) count against the proxy.
    expect([await statusOf(proxy, url), await statusOf(proxy, url), await statusOf(proxy, url)]).toEqual([200, 200, 429]);
  });

  it('is ignored from anyone else: a client that bypasses the proxy cannot pick its address', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_IP: '2', TRUSTED_PROXIES: `${PROXY}/32` });
    const direct = client('127.0.0.20');
    const spoofed = [];
    for (let i = 0; i < 3; i++) spoofed.push(await statusOf(direct, url, forwardedFor(`203.0.113.${i}, ${PROXY}`)));
    expect(spoofed).toEqual([200, 200, 429]);
  });

  it('is read from its end, past the trusted proxies: what the client wrote further left is not believed', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_IP: '2', TRUSTED_PROXIES: `${PROXY},10.0.0.0/8` });
    const proxy = client(PROXY);
    // The client wrote the first entry; our two proxies (10.1.1.1, then PROXY) saw 192.0.2.9.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await statusOf(proxy, url, forwardedFor(`198.18.0.${i}, 192.0.2.9, 10.1.1.1`)));
    expect(statuses).toEqual([200, 200, 429]);
    expect(await statusOf(proxy, url, forwardedFor('192.0.2.10, 10.1.1.1'))).toBe(200);
  });

  it('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_IP: '2', TRUSTED_PROXIES: PROXY });
    const proxy = client(PROXY);
    const viaProxy = (clientIp: string) => statusOf(proxy, url, forwardedFor(clientIp));
    expect([await viaProxy('2001:db8:1:2::1'), await viaProxy('2001:db8:1:2:ffff:ffff:ffff:fffe'), await viaProxy('[2001:db8:1:2::abcd]:443')]).toEqual([200, 200, 429]);
    expect(await viaProxy('2001:db8:1:3::1')).toBe(200); // the next /64: another subscriber
    expect([await viaProxy('::ffff:198.51.100.7'), await viaProxy('198.51.100.7'), await viaProxy('198.51.100.7:5000')]).toEqual([200, 200, 429]);
  });

  it('walks the chain as documented (unit)', () => {
    const trusted = new TrustedProxies(parseCidrs('10.0.0.0/8, fd00::/8, 192.0.2.1'));
    const request = (remoteAddress: string, header?: string) => ({ socket: { remoteAddress }, headers: header === undefined ? {} : { 'x-forwarded-for': header } }) as never;
    expect(clientAddress(request('203.0.113.5', '1.2.3.4'), trusted)).toBe('203.0.113.5');
    expect(clientAddress(request('::ffff:10.0.0.2', '198.51.100.1'), trusted)).toBe('198.51.100.1');
    expect(clientAddress(request('10.0.0.2', 'not-an-address, 10.0.0.3'), trusted)).toBe('10.0.0.3');
    expect(clientAddress(request('10.0.0.2'), trusted)).toBe('10.0.0.2');
    expect(clientAddress(request('fd00::7', '2001:DB8::1, fd00::8'), trusted)).toBe('2001:db8::1');
    expect(limitKey('2001:db8:0:0:1::1')).toBe('2001:db8:0:0::/64');
    expect(limitKey('2001:db8::1')).toBe(limitKey('2001:0db8:0000:0000:ffff::2'));
    expect(limitKey('198.51.100.7')).toBe('198.51.100.7');
  });
});

describe('configuration of trusted proxies', () => {
  it('names a bad TRUSTED_PROXIES entry', () => {
    expect(() => readGatewayConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES has "10.0.0.0\/33"/);
    expect(() => readGatewayConfig({ TRUSTED_PROXIES: 'proxy.internal' })).toThrow(/TRUSTED_PROXIES has "proxy.internal"/);
    expect(readGatewayConfig({ TRUSTED_PROXIES: '10.0.0.0/8,fd00::/8, 192.0.2.1' }).trustedProxies).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
      { address: '192.0.2.1', prefix: 32, family: 'ipv4' },
    ]);
  });

  it('refuses TRUST_PROXY_HOPS, saying what replaced it', () => {
    expect(() => readGatewayConfig({ TRUST_PROXY_HOPS: '1' })).toThrow(/TRUST_PROXY_HOPS is replaced by TRUSTED_PROXIES/);
    expect(readGatewayConfig({ TRUST_PROXY_HOPS: '0' }).trustedProxies).toEqual([]);
  });
});

describe('invalid tokens', () => {
  it('count against the address before they are refused', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_IP: '3' });
    const forger = client('127.0.0.22');
    const forged = { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged' };
    expect([await statusOf(forger, url, forged), await statusOf(forger, url, forged), await statusOf(forger, url, forged)]).toEqual([401, 401, 401]);
    expect(await statusOf(forger, url)).toBe(429);
    expect(await statusOf(forger, url, forged)).toBe(429);
  });
});
