// With one subgraph gone, the gateway still answers what the others can: nulls only
// where the missing subgraph's fields are, and an error naming it with a stable code.
import { afterEach, describe, expect, it } from '@jest/globals';
import { startStack, type Stack } from './support/stack.js';

const CANONICAL = `{ orders(first: 10) { nodes { id status totalCents user { name } items { quantity product { name stock } } } } }`;

let stack: Stack | undefined;

/** The demo stack, an admin token, then `name` stopped. */
async function stackWithout(name: 'users' | 'inventory' | 'orders' | 'notifications'): Promise<{ stack: Stack; token: string }> {
  stack = await startStack({ demoData: true });
  const token = await stack.adminToken();
  await stack[name].stop();
  return { stack, token };
}
afterEach(async () => {
  await stack?.gateway.stop();
  for (const service of [stack?.orders, stack?.users, stack?.inventory, stack?.notifications]) await service?.stop().catch(() => {});
  stack = undefined;
});

describe('a subgraph is down', () => {
  it('inventory down: orders and their buyers still answer; products are null with SUBGRAPH_UNAVAILABLE', async () => {
    const { stack, token } = await stackWithout('inventory');
    const result = await stack.query(CANONICAL, {}, { token });
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'inventory']]);
    const orders = result.data.orders.nodes;
    expect(orders.length).toBeGreaterThan(0);
    for (const order of orders) {
      expect(order.user.name).toEqual(expect.any(String));
      expect(order.totalCents).toBeGreaterThan(0);
      for (const item of order.items) expect(item).toEqual({ quantity: expect.any(Number), product: null });
    }
  });

  it('users down: orders and their products still answer; the buyer is null with SUBGRAPH_UNAVAILABLE', async () => {
    const { stack, token } = await stackWithout('users');
    const result = await stack.query(CANONICAL, {}, { token });
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'users']]);
    for (const order of result.data.orders.nodes) {
      expect(order.user).toBeNull();
      expect(order.items[0].product.name).toEqual(expect.any(String));
    }
  });

  it('orders down: the query that starts there fails whole, with the code and the subgraph, and no internals', async () => {
    const { stack, token } = await stackWithout('orders');
    const result = await stack.query(CANONICAL, {}, { token });
    expect(result.status).toBe(200);
    expect(result.data).toBeNull();
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'orders']]);
    expect(JSON.stringify(result.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    // The other subgraphs' own queries are unaffected.
    expect((await stack.query('{ products(first: 1) { totalCount } }')).data.products.totalCount).toBe(20);
  });

  it('notifications down: the user and their orders still answer; notifications are null with SUBGRAPH_UNAVAILABLE', async () => {
    const { stack, token } = await stackWithout('notifications');
    const result = await stack.query('{ me { name orders(first: 2) { totalCount } notifications { totalCount } } }', {}, { token });
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'notifications']]);
    expect(result.data.me).toEqual({ name: expect.any(String), orders: { totalCount: expect.any(Number) }, notifications: null });
  });
});
