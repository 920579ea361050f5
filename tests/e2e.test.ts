// The supergraph end to end: real gateway, real subgraph servers over HTTP, demo data.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { acceptsGzip } from '../platform/http.js';
import { expectStockInvariant } from './support/invariants.js';
import { postGraphQL, startStack, type Stack } from './support/stack.js';

const CANONICAL = `{ orders(first: 10) { nodes { id status totalCents user { id name email } items { quantity unitPriceCents product { id name stock available } } } } }`;

let stack: Stack;
let adaToken: string;

beforeAll(async () => {
  stack = await startStack({ demoData: true });
  adaToken = await stack.logIn('ada@example.com', 'customer-password');
});
afterEach(() => expectStockInvariant(stack.inventory, stack.orders));
afterAll(() => stack.stop());

describe('the canonical query', () => {
  it('answers an admin with every order fully populated from all three subgraphs', async () => {
    const result = await stack.query(CANONICAL, {}, { token: await stack.adminToken() });
    expect(result.errors).toBeUndefined();
    const orders = result.data.orders.nodes;
    expect(orders.length).toBeGreaterThanOrEqual(6);
    for (const order of orders) {
      expect(order.user).toEqual({ id: expect.any(String), name: expect.any(String), email: expect.stringContaining('@') });
      expect(order.items.length).toBeGreaterThan(0);
      expect(order.totalCents).toBe(order.items.reduce((sum: number, item: any) => sum + item.quantity * item.unitPriceCents, 0));
      for (const item of order.items) {
        expect(item.product).toEqual({ id: expect.any(String), name: expect.any(String), stock: expect.any(Number), available: expect.any(Number) });
      }
    }
  });

  it('answers a customer with their own orders only', async () => {
    const result = await stack.query(CANONICAL, {}, { token: adaToken });
    const emails = new Set(result.data.orders.nodes.map((order: any) => order.user.email));
    expect([...emails]).toEqual(['ada@example.com']);
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const result = await stack.query(CANONICAL);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('a buyer’s journey through the gateway', () => {
  it('signs up, browses, orders, sees the stock held, cancels, and sees it back', async () => {
    const signUp = await stack.query('mutation { signUp(input: { email: "new@example.com", name: "New Buyer", password: "long enough" }) { token user { id role } } }');
    const token = signUp.data.signUp.token;
    expect(signUp.data.signUp.user.role).toBe('CUSTOMER');

    const products = await stack.query('{ products(first: 1, search: "keyboard") { nodes { id available } } }');
    const product = products.data.products.nodes[0];

    const placed = await stack.query(
      'mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 2 }] }) { id status user { name } items { product { available } } } }',
      { id: product.id },
      { token },
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data.placeOrder).toMatchObject({ status: 'PENDING', user: { name: 'New Buyer' }, items: [{ product: { available: product.available - 2 } }] });

    const me = await stack.query('{ me { email orders { totalCount nodes { id } } } }', {}, { token });
    expect(me.data.me).toEqual({ email: 'new@example.com', orders: { totalCount: 1, nodes: [{ id: placed.data.placeOrder.id }] } });

    const cancelled = await stack.query('mutation($id: ID!) { cancelOrder(id: $id) { status items { product { available } } } }', { id: placed.data.placeOrder.id }, { token });
    expect(cancelled.data.cancelOrder).toEqual({ status: 'CANCELLED', items: [{ product: { available: product.available } }] });
  });
});

describe('authorization across subgraphs', () => {
  it('a customer cannot read another user’s orders via User.orders or user(id)', async () => {
    const alan = await stack.logIn('alan@example.com', 'customer-password');
    const adaId = (await stack.query('{ me { id } }', {}, { token: adaToken })).data.me.id;
    const result = await stack.query('query($id: ID!) { user(id: $id) { email orders { nodes { id } } } }', { id: adaId }, { token: alan });
    expect(result.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    expect(JSON.stringify(result.data)).not.toContain('ada@example.com');
  });

  it('the hidden reservation operations are not part of the supergraph', async () => {
    const result = await stack.query('mutation { reserveStock(orderId: "x", lines: []) { productId } }', {}, { token: await stack.adminToken() });
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a subgraph called directly refuses a customer on the internal operations and a forged token', async () => {
    const query = 'mutation { releaseReservation(orderId: "9d2f6b1c-4a7e-4b8d-9c0f-000000000002") }';
    const asCustomer = await postGraphQL<any>(stack.subgraphUrls.inventory, query, {}, adaToken);
    expect(asCustomer.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const [header, payload] = adaToken.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'ADMIN' })).toString('base64url');
    const forged = await postGraphQL<any>(stack.subgraphUrls.orders, '{ orders { totalCount } }', {}, `${header}.${forgedPayload}.${adaToken.split('.')[2]}`);
    expect(forged.status).toBe(401);
    expect(forged.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('the gateway refuses a malformed or expired token with 401', async () => {
    const result = await postGraphQL<any>(stack.gatewayUrl, '{ products { totalCount } }', {}, 'not.a.token');
    expect(result.status).toBe(401);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('HTTP', () => {
  it('answers /health and /ready on the gateway and every subgraph', async () => {
    for (const url of [stack.gatewayUrl, ...Object.values(stack.subgraphUrls)]) {
      for (const path of ['/health', '/ready']) {
        const response = await fetch(new URL(path, url));
        expect(response.status).toBe(200);
      }
    }
  });

  it('serves Prometheus metrics on every process: requests, errors, upstream calls, circuits, SQL, batches, process', async () => {
    await stack.query('query Canonical { orders(first: 5) { nodes { user { name } items { product { stock } } } } }', {}, { token: await stack.adminToken() });
    const scrape = async (url: string) => {
      const response = await fetch(new URL('/metrics', url));
      expect(response.headers.get('content-type')).toContain('text/plain');
      const lines = (await response.text()).split('\n');
      // The value of the sample `name` whose labels include all of `labels`, whatever their order.
      return (name: string, labels: Record<string, string> = {}) => {
        const line = lines.find(
          (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => l.includes(`${key}="${value}"`)),
        );
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
    };
    const gateway = await scrape(stack.gatewayUrl);
    expect(gateway('graphql_request_duration_seconds_count', { operation: 'Canonical', outcome: 'ok' })).toBeGreaterThan(0);
    for (const target of ['users', 'inventory', 'orders']) {
      expect(gateway('upstream_call_duration_seconds_count', { target, outcome: 'ok' })).toBeGreaterThan(0);
      expect(gateway('circuit_breaker_open', { target })).toBe(0);
    }
    expect(gateway('process_resident_memory_bytes')).toBeGreaterThan(0);
    const inventory = await scrape(stack.subgraphUrls.inventory);
    expect(inventory('db_query_duration_seconds_count')).toBeGreaterThan(0);
    expect(inventory('dataloader_batch_size_count', { loader: 'productById' })).toBeGreaterThan(0);
    const orders = await scrape(stack.subgraphUrls.orders);
    expect(orders('dataloader_batch_size_count', { loader: 'itemsByOrderId' })).toBeGreaterThan(0);
    expect(orders('circuit_breaker_open', { target: 'inventory' })).toBe(0);
    const adminId = (await stack.query('{ me { id } }', {}, { token: await stack.adminToken() })).data.me.id;
    await stack.query('query($id: ID!) { user(id: $id) { email } }', { id: adminId }, { token: adaToken });
    const users = await scrape(stack.subgraphUrls.users);
    expect(users('graphql_errors_total', { code: 'FORBIDDEN' })).toBeGreaterThan(0);
  });

  it('lets Apollo Sandbox call the gateway from the browser (CORS preflight)', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.apollographql.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    const stranger = await fetch(stack.gatewayUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the Sandbox landing page to a browser in development', async () => {
    const response = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('embeddable-sandbox');
  });

  it('answers malformed JSON with 400 and a GraphQL-shaped error', async () => {
    const response = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});

describe('compression at the gateway', () => {
  /** A POST over node:http, which (unlike fetch) shows the bytes as they came. */
  function post(query: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      });
      request.on('error', reject);
      request.end(JSON.stringify({ query }));
    });
  }

  it('gzips a page of orders for a client that accepts gzip: the same answer in fewer bytes, marked as varying', async () => {
    const authorization = `Bearer ${await stack.adminToken()}`;
    const plain = await post(CANONICAL, { authorization });
    const zipped = await post(CANONICAL, { authorization, 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(JSON.parse(plain.body.toString('utf8')));
  });

  it('leaves small answers, and clients that do not take gzip, uncompressed', async () => {
    const authorization = `Bearer ${await stack.adminToken()}`;
    const small = await post('{ __typename }', { 'accept-encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ data: { __typename: 'Query' } });
    const refused = await post(CANONICAL, { authorization, 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(refused.body.toString('utf8')).data.orders.nodes.length).toBeGreaterThan(0);
  });

  it.each([
    ['gzip', true],
    ['GZIP;q=0.5', true],
    ['br, *', true],
    ['gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['*;q=0', false],
    ['br, deflate', false],
    [undefined, false],
  ])('reads Accept-Encoding %p as %p for gzip', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
