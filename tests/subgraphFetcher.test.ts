// The gateway's connections to its subgraphs: kept alive between calls, and renewed after
// their lifetime so that a subgraph name standing for several instances spreads the load
// again (a real HTTP server counting the connections it is called on).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSubgraphFetcher } from '../gateway/subgraphFetcher.js';

let server: Server;
let url: string;
/** The client port of each request: one port is one connection. */
const ports: number[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    ports.push(request.socket.remotePort!);
    request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The connection is free again a moment after its answer was read (undici marks it so on
// a later tick): a call made in that same tick would be given a second connection.
const call = async (fetcher: ReturnType<typeof createSubgraphFetcher>) => {
  const reply = await (await fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}', timeoutMs: 5000 })).json();
  await pause(10);
  return reply;
};

describe('subgraph connections', () => {
  it('reuses one kept-alive connection for calls one after another', async () => {
    ports.length = 0;
    const fetcher = createSubgraphFetcher({ connectTimeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) expect(await call(fetcher)).toEqual({ data: { ok: true } });
    expect(new Set(ports).size).toBe(1);
  });

  it('replaces a connection older than its lifetime with a new one', async () => {
    ports.length = 0;
    // A lifetime long enough that a busy machine still makes two calls within it.
    const fetcher = createSubgraphFetcher({ connectTimeoutMs: 10_000, connectionTtlMs: 1500 });
    await call(fetcher);
    await call(fetcher);
    await pause(1700);
    await call(fetcher);
    await call(fetcher);
    expect(ports[0]).toBe(ports[1]);
    expect(ports[2]).not.toBe(ports[1]);
    expect(ports[3]).toBe(ports[2]);
  });
});
