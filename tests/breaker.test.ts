// A dead subgraph behind the gateway: after a few failures its circuit opens and the
// gateway stops calling it (partial answers at once, no connection attempted), then a
// probe after the half-open delay finds it back and full answers resume.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { startStack, type Stack } from './support/stack.js';

const CANONICAL = `{ orders(first: 3) { nodes { id user { name } items { product { name stock } } } } }`;
const HALF_OPEN_MS = 1000;
// The whole request's budget, the hung inventory's wait included: room enough for orders and
// users to answer on a loaded machine (500 ms was not, once the budget covered every call).
const REQUEST_BUDGET_MS = 8000;

let stack: Stack;
let proxy: FaultyProxy | undefined;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    demoData: true,
    env: { BREAKER_THRESHOLD: '3', BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS), SUBGRAPH_QUERY_RETRIES: '1', REQUEST_TIMEOUT_MS: String(REQUEST_BUDGET_MS) },
    gatewayRoute: async (name, url) => (name === 'inventory' ? (proxy = await startFaultyProxy(url)).url : url),
  });
  // Signed in at the users subgraph itself: a password check on a loaded machine is slow,
  // and what is tested here is the circuit to inventory.
  token = await stack.logIn(DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD, { url: stack.subgraphUrls.users });
});
afterAll(async () => {
  await stack.stop();
  await proxy?.close();
});

describe('the circuit breaker per subgraph', () => {
  it('opens after 3 failures: later queries are answered without calling the dead subgraph', async () => {
    proxy!.refuse = true;
    const before = proxy!.connections;
    const reasons: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await stack.query(CANONICAL, {}, { token });
      expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'inventory']]);
      expect(result.data.orders.nodes[0].user.name).toEqual(expect.any(String));
      reasons.push(result.errors![0]!.extensions!.reason);
    }
    // Query 1: an attempt and a retry; query 2: one attempt opens the circuit (its retry
    // finds it open); then none.
    expect(proxy!.connections - before).toBe(3);
    expect(reasons).toEqual(['unreachable', ...Array(9).fill('circuit_open')]);
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

  it('does not retry a subgraph that timed out: a hung subgraph costs one timeout per query, not three', async () => {
    const before = await failedCalls();
    proxy!.blackhole = true;
    const result = await stack.query(CANONICAL, {}, { token });
    proxy!.blackhole = false;
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', reason: 'timeout' });
    expect(result.data.orders.nodes[0].user.name).toEqual(expect.any(String));
    expect((await failedCalls()) - before).toBe(1); // SUBGRAPH_QUERY_RETRIES is 1: a retry would make it 2
  });
});

/** Failed gateway → inventory attempts so far, from the gateway's own /metrics. */
async function failedCalls(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', stack.gatewayUrl))).text();
  const line = text.split('\n').find((l) => l.startsWith('upstream_call_duration_seconds_count{') && l.includes('target="inventory"') && l.includes('outcome="unavailable"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
