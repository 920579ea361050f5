// With one subgraph gone, or answering nonsense, the gateway still answers what the
// others can: nulls only where that subgraph's fields are, and an error naming it with a
// stable code.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
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

describe('a subgraph answers something that is not GraphQL', () => {
  // A real HTTP server where the gateway expects users: what a misrouted proxy or a
  // crashed upstream's error page looks like to the gateway.
  let impostor: Server | undefined;
  let reply = { status: 200, contentType: 'text/html', body: '<html>Welcome to nginx!</html>' };
  afterEach(() => new Promise<void>((resolve) => (impostor ? impostor.close(() => resolve()) : resolve())));

  async function stackWithImpostorUsers(): Promise<{ stack: Stack; token: string }> {
    impostor = createServer((_, response) => response.writeHead(reply.status, { 'content-type': reply.contentType }).end(reply.body));
    await new Promise<void>((resolve) => impostor!.listen(0, '127.0.0.1', () => resolve()));
    const impostorUrl = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}/graphql`;
    stack = await startStack({ demoData: true, gatewayRoute: (name, url) => (name === 'users' ? impostorUrl : url) });
    // Signing in goes through users, so straight to it here; the token is good everywhere.
    const signIn = await stack.query('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: DEV_ADMIN_EMAIL, p: DEV_ADMIN_PASSWORD }, { url: stack.subgraphUrls.users });
    return { stack, token: signIn.data.logIn.token };
  }

  it.each([
    ['an HTML page with 200', { status: 200, contentType: 'text/html', body: '<html>Welcome to nginx!</html>' }],
    ['a JSON array with 200', { status: 200, contentType: 'application/json', body: '[1, 2]' }],
    ['a 502 from a proxy', { status: 502, contentType: 'text/plain', body: 'Bad Gateway' }],
  ])('%s: the buyer is null with SUBGRAPH_UNAVAILABLE (unreachable), the rest answers, nothing of the reply leaks', async (_, answer) => {
    reply = answer;
    const { stack, token } = await stackWithImpostorUsers();
    const result = await stack.query(CANONICAL, {}, { token });
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph, e.extensions?.reason])).toEqual([['SUBGRAPH_UNAVAILABLE', 'users', 'unreachable']]);
    expect(JSON.stringify(result.errors)).not.toMatch(/nginx|Bad Gateway|127\.0\.0\.1/);
    for (const order of result.data.orders.nodes) {
      expect(order.user).toBeNull();
      expect(order.items[0].product.name).toEqual(expect.any(String));
    }
  });
});
