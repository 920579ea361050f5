// A dead subgraph behind the gateway: after a few failures its circuit opens and the
// gateway stops calling it (partial answers at once, no connection attempted), then a
// probe after the half-open delay finds it back and full answers resume.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { startStack, type Stack } from './support/stack.js';

const CANONICAL = `{ orders(first: 3) { nodes { id user { name } items { product { name stock } } } } }`;
const HALF_OPEN_MS = 1000;

let stack: Stack;
let proxy: FaultyProxy | undefined;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    demoData: true,
    env: { BREAKER_THRESHOLD: '3', BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS), SUBGRAPH_QUERY_RETRIES: '1' },
    gatewayRoute: async (name, url) => (name === 'inventory' ? (proxy = await startFaultyProxy(url)).url : url),
  });
  token = await stack.adminToken();
});
afterAll(async () => {
  await stack.stop();
  await proxy?.close();
});

describe('the circuit breaker per subgraph', () => {
  it('opens after 3 failures: later queries are answered without calling the dead subgraph', async () => {
    proxy!.refuse = true;
    const before = proxy!.connections;
    for (let i = 0; i < 10; i++) {
      const result = await stack.query(CANONICAL, {}, { token });
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(result.data.orders.nodes[0].user.name).toEqual(expect.any(String));
    }
    // Query 1: an attempt and a retry; query 2: one attempt opens the circuit; then none.
    expect(proxy!.connections - before).toBe(3);
  });

  it('lets a probe through after the half-open delay and closes again when it succeeds', async () => {
    proxy!.refuse = false;
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_MS + 100));
    for (let i = 0; i < 3; i++) {
      const result = await stack.query(CANONICAL, {}, { token });
      expect(result.errors).toBeUndefined();
      expect(result.data.orders.nodes[0].items[0].product.name).toEqual(expect.any(String));
    }
  });
});
