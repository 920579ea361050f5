// Forged service credentials, straight at the hidden operations (a sibling of the hostile
// suite): tokens made with another service's key, with all the gateway holds (JWT_SECRET),
// unsigned, HS256 keyed with a public key, for another audience, expired or living too
// long; and real service tokens used for what their service may not do. Each is refused
// with UNAUTHENTICATED or FORBIDDEN and no database changes by a row. The stack runs in
// production mode on fresh keys, halfway through a rotation of orders' key (its old and
// new public keys both configured): tokens of either key work, and so do the services'
// own calls.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import type { OrderEvent } from '../platform/events.js';
import { usersRecipientLookup } from '../subgraphs/notifications/recipients.js';
import { httpPublisher } from '../subgraphs/orders/eventPublishers.js';
import { makeServiceKey, serviceKeysEnv, TEST_KEYS, type TestServiceKey } from './support/serviceKeys.js';
import { postGraphQL, startStack, type GraphQLResponse, type Stack } from './support/stack.js';
import { snapshotAll } from './support/tables.js';

const JWT_SECRET = 'forged-test-jwt-secret-0123456789abcdef';
const OLD_ORDERS_KEY = makeServiceKey('orders', 'orders-old');
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET,
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'forged-test-admin-password',
  SEED_DEMO_DATA: 'true',
  ...serviceKeysEnv(),
  // Halfway through a rotation: orders signs with its new key; those it calls accept both.
  ORDERS_PUBLIC_KEYS: `${OLD_ORDERS_KEY.publicText},${TEST_KEYS.orders.publicText}`,
};

type Target = 'inventory' | 'notifications' | 'users';
type Signer = 'orders' | 'notifications';
/** Who may call each target's hidden operation, and a service that may not. */
const CALLER: Record<Target, Signer> = { inventory: 'orders', notifications: 'orders', users: 'notifications' };
const OTHER: Record<Target, Signer> = { inventory: 'notifications', notifications: 'notifications', users: 'orders' };
const keyOf = (service: Signer): TestServiceKey => TEST_KEYS[service];

let stack: Stack;
let ids: { product: string; ada: string };
let tokens: { customer: string; admin: string };

beforeAll(async () => {
  stack = await startStack({ env: PRODUCTION });
  tokens = { customer: await stack.logIn('alan@example.com', 'customer-password'), admin: await stack.logIn('admin@example.com', PRODUCTION.ADMIN_PASSWORD) };
  const ada = await stack.logIn('ada@example.com', 'customer-password');
  const me = await stack.query('{ me { id } products(first: 1) { nodes { id } } }', {}, { token: ada });
  ids = { ada: me.data.me.id, product: me.data.products.nodes[0].id };
});
afterAll(() => stack?.stop());

const now = () => Math.floor(Date.now() / 1000);

/** An EdDSA service token as a service would make one, every part of it open to forgery. */
function serviceToken(key: TestServiceKey, claims: { aud: string; as?: string; kid?: string; iat?: number; exp?: number }): Promise<string> {
  const name = claims.as ?? key.service;
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: claims.kid ?? key.kid })
    .setIssuer(name)
    .setSubject(name)
    .setAudience(claims.aud)
    .setIssuedAt(claims.iat ?? now())
    .setExpirationTime(claims.exp ?? now() + 300)
    .sign(key.privateKey);
}

function hs256(secret: Uint8Array | string, claims: Record<string, unknown>, kid?: string): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...(kid ? { kid } : {}) }).setIssuedAt().setExpirationTime('5m').sign(key);
}

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const serviceClaims = (target: Target) => ({ iss: CALLER[target], sub: CALLER[target], aud: target });
const publicKeyBytes = (key: TestServiceKey) => Buffer.from(key.publicKey.export({ format: 'jwk' }).x!, 'base64url');

type Refusal = 'UNAUTHENTICATED' | 'FORBIDDEN';
interface ForgedCase {
  name: string;
  token(target: Target): Promise<string | undefined>;
  /** The refusal per target; a target left out is not this case's business. */
  expected: Partial<Record<Target, Refusal>>;
}
const everywhere = (code: Refusal) => ({ inventory: code, notifications: code, users: code });

const CASES: ForgedCase[] = [
  { name: 'no token at all', token: async () => undefined, expected: everywhere('UNAUTHENTICATED') },
  {
    name: 'made with another service’s key, claiming to be the expected caller',
    token: (target) => serviceToken(keyOf(OTHER[target]), { as: CALLER[target], aud: target }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'made with another service’s key under the expected caller’s key id',
    token: (target) => serviceToken(keyOf(OTHER[target]), { as: CALLER[target], aud: target, kid: keyOf(CALLER[target]).kid }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'another service’s own, honest token',
    token: (target) => serviceToken(keyOf(OTHER[target]), { aud: target }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'the expected caller’s key, claiming another service’s name',
    token: (target) => serviceToken(keyOf(CALLER[target]), { as: 'users', aud: target }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'HS256 made with JWT_SECRET (all the gateway holds), with a service’s claims',
    token: (target) => hs256(JWT_SECRET, serviceClaims(target), keyOf(CALLER[target]).kid),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'HS256 made with JWT_SECRET: a user token naming the service, as ADMIN',
    token: (target) => hs256(JWT_SECRET, { iss: 'supergraph', aud: 'supergraph-clients', sub: CALLER[target], role: 'ADMIN' }),
    // users: an admin may read any user; what matters there is the service operations.
    expected: { inventory: 'FORBIDDEN', notifications: 'FORBIDDEN' },
  },
  { name: 'a real admin’s user token', token: async () => tokens.admin, expected: { inventory: 'FORBIDDEN', notifications: 'FORBIDDEN' } },
  { name: 'a real customer’s user token (not Ada)', token: async () => tokens.customer, expected: everywhere('FORBIDDEN') },
  {
    name: 'unsigned (alg none) with the expected caller’s key id',
    token: async (target) => `${part({ alg: 'none', kid: keyOf(CALLER[target]).kid })}.${part({ ...serviceClaims(target), iat: now(), exp: now() + 300 })}.`,
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'HS256 keyed with the expected caller’s public key (algorithm confusion)',
    token: (target) => hs256(publicKeyBytes(keyOf(CALLER[target])), serviceClaims(target), keyOf(CALLER[target]).kid),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'HS256 keyed with the expected caller’s public key as configured',
    token: (target) => hs256(keyOf(CALLER[target]).publicText, serviceClaims(target), keyOf(CALLER[target]).kid),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'the expected caller’s key, for another service (wrong audience)',
    token: (target) => serviceToken(keyOf(CALLER[target]), { aud: target === 'inventory' ? 'notifications' : 'inventory' }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'the expected caller’s key, with the clients’ audience',
    token: (target) => serviceToken(keyOf(CALLER[target]), { aud: 'supergraph-clients' }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'the expected caller’s key, expired',
    token: (target) => serviceToken(keyOf(CALLER[target]), { aud: target, iat: now() - 600, exp: now() - 120 }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'the expected caller’s key, made to live a day',
    token: (target) => serviceToken(keyOf(CALLER[target]), { aud: target, exp: now() + 86_400 }),
    expected: everywhere('UNAUTHENTICATED'),
  },
  {
    name: 'a real token for another service, its audience rewritten',
    token: async (target) => {
      const [header, , signature] = (await serviceToken(keyOf(CALLER[target]), { aud: 'orders' })).split('.');
      return `${header}.${part({ ...serviceClaims(target), iat: now(), exp: now() + 300 })}.${signature}`;
    },
    expected: everywhere('UNAUTHENTICATED'),
  },
];

/** What each target's hidden operation would do if the token passed: reserve, notify, or give an address. */
function operation(target: Target): { query: string; variables: Record<string, unknown>; field: string } {
  if (target === 'inventory') {
    return {
      query: 'mutation($o: ID!, $l: [ReservationLineInput!]!) { reserveStock(orderId: $o, lines: $l) { productId } }',
      variables: { o: randomUUID(), l: [{ productId: ids.product, quantity: 1 }] },
      field: 'reserveStock',
    };
  }
  if (target === 'notifications') {
    return { query: 'mutation($e: [String!]!) { receiveOrderEvents(events: $e) { outcome } }', variables: { e: [JSON.stringify(orderPlaced())] }, field: 'receiveOrderEvents' };
  }
  return {
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email name } } }',
    variables: { r: [{ __typename: 'User', id: ids.ada }] },
    field: '_entities',
  };
}

function orderPlaced(): OrderEvent {
  return {
    id: randomUUID(),
    type: 'order.placed',
    version: 1,
    occurredAt: new Date().toISOString(),
    orderId: randomUUID(),
    sequence: 1,
    data: { userId: ids.ada, status: 'PENDING', totalCents: 100, items: [{ productId: ids.product, name: 'Forged', quantity: 1, unitPriceCents: 100 }] },
  };
}

/** The codes of a reply, and whether it carried anything of what was asked. */
function outcome(reply: GraphQLResponse, field: string): { codes: string[]; leaked: unknown } {
  const value = reply.data?.[field];
  const leaked = Array.isArray(value) ? value.filter((entry) => entry !== null) : (value ?? null);
  return { codes: (reply.errors ?? []).map((error) => String(error.extensions?.code)), leaked: Array.isArray(leaked) && leaked.length === 0 ? null : leaked };
}

const snapshots = () => snapshotAll([stack.users, stack.inventory, stack.orders, stack.notifications]);

describe('forged service tokens at the hidden operations', () => {
  it('refuses every one (reserveStock, receiveOrderEvents, users’ _entities) and changes nothing', async () => {
    const before = await snapshots();
    const actual: Record<string, Partial<Record<Target, unknown>>> = {};
    const expected: Record<string, Partial<Record<Target, unknown>>> = {};
    for (const forged of CASES) {
      actual[forged.name] = {};
      expected[forged.name] = {};
      for (const target of Object.keys(forged.expected) as Target[]) {
        const { query, variables, field } = operation(target);
        const reply = await postGraphQL(stack.subgraphUrls[target], query, variables, await forged.token(target));
        actual[forged.name]![target] = outcome(reply, field);
        expected[forged.name]![target] = { codes: [forged.expected[target]], leaked: null };
      }
    }
    expect(actual).toEqual(expected);
    expect(await snapshots()).toEqual(before);
  });

  it('the gateway refuses service tokens, even real ones, with 401', async () => {
    for (const token of [await serviceToken(keyOf('orders'), { aud: 'inventory' }), await serviceToken(keyOf('orders'), { aud: 'supergraph-clients' })]) {
      const reply = await stack.query('{ products(first: 1) { totalCount } }', {}, { token });
      expect({ status: reply.status, codes: reply.errors?.map((error) => error.extensions?.code) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
    }
  });
});

describe('a real service token is no admin and no user', () => {
  const ADA = () => ({ r: [{ __typename: 'User', id: ids.ada }] });
  it.each([
    ['orders → inventory: createProduct', 'orders', 'inventory', 'mutation { createProduct(input: { sku: "FORGED-1", name: "x", priceCents: 1, stock: 1 }) { id } }', () => ({}), 'FORBIDDEN'],
    ['orders → inventory: restock', 'orders', 'inventory', 'mutation($p: ID!) { restock(productId: $p, quantity: 5) { id } }', () => ({ p: ids.product }), 'FORBIDDEN'],
    ['orders → notifications: a user’s notifications', 'orders', 'notifications', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { totalCount } } } }', ADA, 'FORBIDDEN'],
    ['notifications → users: user(id)', 'notifications', 'users', 'query($id: ID!) { user(id: $id) { email } }', () => ({ id: ids.ada }), 'FORBIDDEN'],
    ['notifications → users: a user’s role', 'notifications', 'users', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email role } } }', ADA, 'FORBIDDEN'],
    ['notifications → users: a user’s createdAt', 'notifications', 'users', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { createdAt } } }', ADA, 'FORBIDDEN'],
    ['notifications → orders (which takes no service calls): an order list', 'notifications', 'orders', '{ orders(first: 5) { totalCount } }', () => ({}), 'UNAUTHENTICATED'],
  ] as const)('%s', async (_name, from, target, query, variables, code) => {
    const before = await snapshots();
    const reply = await postGraphQL(stack.subgraphUrls[target], query, variables(), await serviceToken(keyOf(from), { aud: target }));
    expect((reply.errors ?? []).map((error) => error.extensions?.code)).toEqual([code]);
    expect(JSON.stringify(reply.data ?? null)).not.toMatch(/ada@example\.com|FORGED|totalCount":\d/);
    expect(await snapshots()).toEqual(before);
  });

  it('notifications reads of a user exactly the id, email, name, phone and channel choices it needs', async () => {
    const token = await serviceToken(keyOf('notifications'), { aud: 'users' });
    const reply = await postGraphQL(
      stack.subgraphUrls.users,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email name phone notificationPreferences { email sms } } } }',
      ADA(),
      token,
    );
    expect(reply).toEqual({ status: 200, data: { _entities: [{ id: ids.ada, email: 'ada@example.com', name: expect.any(String), phone: null, notificationPreferences: { email: true, sms: false } }] } });
  });
});

describe('during a rotation of orders’ key', () => {
  const reserve = async (key: TestServiceKey) => {
    const orderId = randomUUID();
    const token = await serviceToken(key, { aud: 'inventory' });
    const reply = await postGraphQL<any>(stack.subgraphUrls.inventory, 'mutation($o: ID!, $l: [ReservationLineInput!]!) { reserveStock(orderId: $o, lines: $l) { productId quantity } }', { o: orderId, l: [{ productId: ids.product, quantity: 1 }] }, token);
    return { orderId, reply };
  };
  const reserved = async () => (await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: ids.product } })).reserved;

  it('accepts tokens of the old key and of the new one while both are configured', async () => {
    const before = await reserved();
    const withOld = await reserve(OLD_ORDERS_KEY);
    const withNew = await reserve(TEST_KEYS.orders);
    expect([withOld.reply, withNew.reply]).toEqual([0, 1].map(() => ({ status: 200, data: { reserveStock: [{ productId: ids.product, quantity: 1 }] } })));
    expect(await reserved()).toBe(before + 2);
    // Either key gives them back, too.
    for (const orderId of [withOld.orderId, withNew.orderId]) {
      const reply = await postGraphQL<any>(stack.subgraphUrls.inventory, 'mutation($o: ID!) { releaseReservation(orderId: $o) }', { o: orderId }, await serviceToken(OLD_ORDERS_KEY, { aud: 'inventory' }));
      expect(reply.data?.releaseReservation).toBe('APPLIED');
    }
    expect(await reserved()).toBe(before);
  });

  it('the services’ own calls work on their production keys: orders → inventory, orders → notifications, notifications → users', async () => {
    const ada = await stack.logIn('ada@example.com', 'customer-password');
    const placed = await stack.query('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { status } }', { i: { items: [{ productId: ids.product, quantity: 1 }] } }, { token: ada });
    expect({ data: placed.data, errors: placed.errors }).toEqual({ data: { placeOrder: { status: 'PENDING' } }, errors: undefined });

    const publisher = httpPublisher({ url: stack.subgraphUrls.notifications, timeoutMs: 10_000, tokens: stack.orders.tokens });
    expect(await publisher.publish([orderPlaced()])).toEqual([{ outcome: 'accepted' }]);

    const lookup = usersRecipientLookup({ url: stack.subgraphUrls.users, timeoutMs: 10_000, tokens: stack.notifications.tokens });
    expect((await lookup([ids.ada])).get(ids.ada)).toMatchObject({ email: 'ada@example.com' });
  });
});
