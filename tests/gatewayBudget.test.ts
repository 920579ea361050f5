// The gateway's per-request budget, end to end: what is left of it travels with every
// subgraph call (and on from orders to inventory), a mutation the gateway gave up on is
// answered "outcome unknown" and never sent twice, and query retries stop when the budget
// does. Proxies in front of orders, users and inventory watch (and delay) the calls.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { BUDGET_HEADER } from '../platform/deadline.js';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { expectStockInvariant } from './support/invariants.js';
import { startStack, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
// Enough for a checkout on a loaded machine, short enough for the delayed answers below.
const REQUEST_TIMEOUT_MS = 4000;

let stack: Stack;
const proxies: Record<string, FaultyProxy> = {};
let token: string;

const proxied = async (name: string, url: string) => (proxies[name] = await startFaultyProxy(url)).url;
/** The budgets a proxy saw in the requests whose text matches `what`. */
const budgetsSeen = (proxy: FaultyProxy, what: RegExp) =>
  proxy.requests.filter((text) => what.test(text)).map((text) => Number(new RegExp(`${BUDGET_HEADER}: (\\d+)`, 'i').exec(text)?.[1]));
const countOf = (proxy: FaultyProxy, what: RegExp) => proxy.requests.filter((text) => what.test(text)).length;

beforeAll(async () => {
  stack = await startStack({
    env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    gatewayRoute: (name, url) => (name === 'orders' || name === 'users' ? proxied(name, url) : url),
    ordersToInventory: (url) => proxied('inventory', url),
  });
  const user = await stack.users.prisma.user.create({ data: { email: 'budget@example.com', name: 'Budget', passwordHash: 'x' } });
  token = await stack.users.tokens.signUser({ id: user.id, role: user.role });
});
afterAll(async () => {
  await stack.stop();
  await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
});
beforeEach(() => {
  for (const proxy of Object.values(proxies)) {
    proxy.requests.length = 0;
    proxy.replyDelayMs = 0;
    proxy.refuse = false;
  }
});

describe('the budget travels with the request', () => {
  it('orders gets what is left of the gateway’s budget, and inventory what is left of orders’', async () => {
    const item = await stack.inventory.prisma.product.create({ data: { sku: 'BUDGET', name: 'Budget', priceCents: 100, stock: 10 } });
    const placed = await stack.query(PLACE, { input: { items: [{ productId: item.id, quantity: 1 }] } }, { token });
    expect(placed.errors).toBeUndefined();
    const [toOrders] = budgetsSeen(proxies.orders!, /placeOrder/);
    const [toInventory] = budgetsSeen(proxies.inventory!, /reserveStock/);
    // Each hop keeps a tenth of its budget to answer: 4000 ms at the gateway leaves orders at most 3600.
    expect(toOrders).toBeGreaterThan(0);
    expect(toOrders).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS * 0.9);
    expect(toInventory).toBeGreaterThan(0);
    expect(toInventory).toBeLessThan(toOrders! * 0.9 + 1);
    await expectStockInvariant(stack.inventory, stack.orders);
  });
});

describe('a mutation the gateway gave up on', () => {
  it('is answered outcome "unknown", is not sent twice, and a retry with the same key returns the order', async () => {
    const item = await stack.inventory.prisma.product.create({ data: { sku: 'LATE', name: 'Late', priceCents: 100, stock: 10 } });
    const input = { items: [{ productId: item.id, quantity: 3 }], idempotencyKey: 'late-answer' };
    proxies.orders!.replyDelayMs = REQUEST_TIMEOUT_MS * 2; // orders places the order; its answer comes too late
    const first = await stack.query(PLACE, { input }, { token });
    expect(first.data).toBeNull();
    expect(first.errors).toHaveLength(1);
    expect(first.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'orders', reason: 'timeout', outcome: 'unknown' });
    await waitFor('orders to have placed the order', async () => (await stack.orders.prisma.order.count({ where: { idempotencyKey: 'late-answer' } })) === 1);
    expect(countOf(proxies.orders!, /placeOrder/)).toBe(1);

    proxies.orders!.replyDelayMs = 0;
    const retry = await stack.query(PLACE, { input }, { token });
    expect(retry.errors).toBeUndefined();
    const order = await stack.orders.prisma.order.findFirstOrThrow({ where: { idempotencyKey: 'late-answer' } });
    expect(retry.data.placeOrder).toEqual({ id: order.id, status: 'PENDING' });
    expect(countOf(proxies.orders!, /placeOrder/)).toBe(2);
    expect((await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: item.id } })).reserved).toBe(3);
    await expectStockInvariant(stack.inventory, stack.orders);
  });

  it('a query that times out carries no outcome: reading twice changes nothing', async () => {
    proxies.users!.replyDelayMs = REQUEST_TIMEOUT_MS * 2;
    const result = await stack.query('{ me { name } }', {}, { token });
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'users', reason: 'timeout' });
    expect(result.errors![0]!.extensions!.outcome).toBeUndefined();
  });
});

describe('retries of a query', () => {
  it('stop when the budget does, however many are allowed', async () => {
    // Ten retries with backoff would take about 6 s; the budget is 300 ms.
    const { url } = await stack.addGateway({ REQUEST_TIMEOUT_MS: '300', SUBGRAPH_QUERY_RETRIES: '10', BREAKER_THRESHOLD: '100' });
    proxies.users!.refuse = true;
    const before = proxies.users!.connections;
    const result = await stack.query('{ me { name } }', {}, { token, url });
    const attempts = proxies.users!.connections - before;
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'users' });
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThan(11);
  });
});
