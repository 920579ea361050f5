// With one subgraph gone, or answering nonsense, the gateway still answers what the
// others can: nulls only where that subgraph's fields are, and an error naming it with a
// stable code. One stack of subgraphs serves every case; each case gets a gateway of its
// own (fresh circuit breakers) whose route to one subgraph leads to a dead port or to an
// impostor, which is what a stopped or misrouted subgraph looks like from the gateway.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { freePort } from './support/processes.js';
import { startStack, type Stack } from './support/stack.js';

const CANONICAL = `{ orders(first: 10) { nodes { id status totalCents user { name } items { quantity product { name stock } } } } }`;

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack({ demoData: true });
  // Signed in at users itself: several cases put something else where the gateway expects users.
  token = await stack.logIn(DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD, { url: stack.subgraphUrls.users });
});
afterAll(() => stack?.stop());

/** A gateway in front of the stack whose route to `name` leads to `url`. */
async function gatewayWith(name: 'users' | 'inventory' | 'orders' | 'notifications', url: string) {
  const { url: gatewayUrl } = await stack.addGateway({ [`${name.toUpperCase()}_URL`]: url });
  return (query: string) => stack.query(query, {}, { token, url: gatewayUrl });
}

/** A URL where nothing listens: connections are refused, as after the subgraph stopped. */
const deadUrl = async () => `http://127.0.0.1:${await freePort()}/graphql`;

describe('a subgraph is down', () => {
  it('inventory down: orders and their buyers still answer; products are null with SUBGRAPH_UNAVAILABLE', async () => {
    const query = await gatewayWith('inventory', await deadUrl());
    const result = await query(CANONICAL);
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
    const query = await gatewayWith('users', await deadUrl());
    const result = await query(CANONICAL);
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'users']]);
    for (const order of result.data.orders.nodes) {
      expect(order.user).toBeNull();
      expect(order.items[0].product.name).toEqual(expect.any(String));
    }
  });

  it('orders down: the query that starts there fails whole, with the code and the subgraph, and no internals', async () => {
    const query = await gatewayWith('orders', await deadUrl());
    const result = await query(CANONICAL);
    expect(result.status).toBe(200);
    expect(result.data).toBeNull();
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'orders']]);
    expect(JSON.stringify(result.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    // The other subgraphs' own queries are unaffected.
    expect((await query('{ products(first: 1) { totalCount } }')).data.products.totalCount).toBe(20);
  });

  it('notifications down: the user and their orders still answer; notifications are null with SUBGRAPH_UNAVAILABLE', async () => {
    const query = await gatewayWith('notifications', await deadUrl());
    const result = await query('{ me { name orders(first: 2) { totalCount } notifications { totalCount } } }');
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'notifications']]);
    expect(result.data.me).toEqual({ name: expect.any(String), orders: { totalCount: expect.any(Number) }, notifications: null });
  });
});

describe('a subgraph answers something that is not GraphQL', () => {
  // A real HTTP server where the gateway expects users: what a misrouted proxy or a
  // crashed upstream's error page looks like to the gateway.
  let impostor: Server;
  let reply = { status: 200, contentType: 'text/html', body: '<html>Welcome to nginx!</html>' };
  let impostorUrl: string;
  beforeAll(async () => {
    impostor = createServer((_, response) => response.writeHead(reply.status, { 'content-type': reply.contentType }).end(reply.body));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', () => resolve()));
    impostorUrl = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => impostor.close(() => resolve())));

  it.each([
    ['an HTML page with 200', { status: 200, contentType: 'text/html', body: '<html>Welcome to nginx!</html>' }],
    ['a JSON array with 200', { status: 200, contentType: 'application/json', body: '[1, 2]' }],
    ['a 502 from a proxy', { status: 502, contentType: 'text/plain', body: 'Bad Gateway' }],
  ])('%s: the buyer is null with SUBGRAPH_UNAVAILABLE (unreachable), the rest answers, nothing of the reply leaks', async (_, answer) => {
    reply = answer;
    const query = await gatewayWith('users', impostorUrl);
    const result = await query(CANONICAL);
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.subgraph, e.extensions?.reason])).toEqual([['SUBGRAPH_UNAVAILABLE', 'users', 'unreachable']]);
    expect(JSON.stringify(result.errors)).not.toMatch(/nginx|Bad Gateway|127\.0\.0\.1/);
    for (const order of result.data.orders.nodes) {
      expect(order.user).toBeNull();
      expect(order.items[0].product.name).toEqual(expect.any(String));
    }
  });
});
