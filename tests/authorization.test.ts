// The contract's "who may do what", operation by operation and caller by caller, through
// the real gateway: anonymous, the customer who owns the data, another customer, an admin.
// Each cell is the exact outcome (data or the error code); a refused mutation changes
// nothing. What a subgraph answers when called directly is in tests/e2e.test.ts and the
// subgraphs' own tests.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

type Caller = 'anonymous' | 'owner' | 'other' | 'admin';
type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

let stack: Stack;
let tokens: Record<Caller, string | undefined>;
let ids: { owner: string; ownerOrder: string; product: string };

beforeAll(async () => {
  // The relay on, so the owner's demo orders reach its notifications.
  stack = await startStack({ demoData: true, env: { OUTBOX_RELAY_MS: '100' } });
  tokens = {
    anonymous: undefined,
    owner: await stack.logIn('ada@example.com', 'customer-password'),
    other: await stack.logIn('alan@example.com', 'customer-password'),
    admin: await stack.adminToken(),
  };
  const me = await stack.query('{ me { id orders(first: 1) { nodes { id } } } }', {}, { token: tokens.owner });
  const products = await stack.query('{ products(first: 1) { nodes { id } } }');
  ids = { owner: me.data.me.id, ownerOrder: me.data.me.orders.nodes[0].id, product: products.data.products.nodes[0].id };
});
afterAll(() => stack.stop());

async function outcome(query: string, variables: Record<string, unknown>, caller: Caller): Promise<{ outcome: Outcome | string; data: any }> {
  const result = await stack.query(query, variables, { token: tokens[caller] });
  const codes = (result.errors ?? []).map((error) => error.extensions?.code);
  return { outcome: codes.length === 0 ? 'ok' : codes.join(','), data: result.data };
}

/** A PENDING order of the owner's, fresh for each test that changes one. */
async function pendingOrderOfOwner(): Promise<string> {
  const placed = await stack.query('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: ids.product, quantity: 1 }] } }, { token: tokens.owner });
  return placed.data.placeOrder.id;
}

const CALLERS: Caller[] = ['anonymous', 'owner', 'other', 'admin'];
const expectRow = async (query: string, variables: () => Record<string, unknown>, expected: Record<Caller, Outcome>) => {
  const actual: Record<string, string> = {};
  for (const caller of CALLERS) actual[caller] = (await outcome(query, variables(), caller)).outcome;
  expect(actual).toEqual(expected);
};

describe('queries', () => {
  it.each([
    ['products', '{ products(first: 1) { totalCount } }', { anonymous: 'ok', owner: 'ok', other: 'ok', admin: 'ok' }],
    ['product(id)', 'query($product: ID!) { product(id: $product) { name } }', { anonymous: 'ok', owner: 'ok', other: 'ok', admin: 'ok' }],
    ['user(id) of the owner', 'query($owner: ID!) { user(id: $owner) { email } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
    ['User.orders of the owner', 'query($owner: ID!) { user(id: $owner) { orders { totalCount } } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
    ['order(id) of the owner', 'query($order: ID!) { order(id: $order) { id } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
    ['Order.user of the owner’s order', 'query($order: ID!) { order(id: $order) { user { email } } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
    ['orders(userId:) of the owner', 'query($owner: ID!) { orders(userId: $owner) { totalCount } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
    ['User.notifications of the owner', 'query($owner: ID!) { user(id: $owner) { notifications { totalCount } } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
    ['Order.user.notifications of the owner’s order', 'query($order: ID!) { order(id: $order) { user { notifications { totalCount } } } }', { anonymous: 'UNAUTHENTICATED', owner: 'ok', other: 'FORBIDDEN', admin: 'ok' }],
  ] as const)('%s', async (_name, query, expected) => {
    await expectRow(query, () => ({ owner: ids.owner, order: ids.ownerOrder, product: ids.product }), expected as Record<Caller, Outcome>);
  });

  it('me: null for anonymous callers, each caller itself otherwise', async () => {
    const emails: Record<string, unknown> = {};
    for (const caller of CALLERS) emails[caller] = (await outcome('{ me { email } }', {}, caller)).data.me?.email ?? null;
    expect(emails).toEqual({ anonymous: null, owner: 'ada@example.com', other: 'alan@example.com', admin: 'admin@example.com' });
  });

  it('orders: a customer sees only its own, with only its own email through Order.user', async () => {
    const query = '{ orders(first: 100) { nodes { user { email } } } }';
    expect((await outcome(query, {}, 'anonymous')).outcome).toBe('UNAUTHENTICATED');
    for (const [caller, email] of [['owner', 'ada@example.com'], ['other', 'alan@example.com']] as const) {
      const { outcome: code, data } = await outcome(query, {}, caller);
      expect(code).toBe('ok');
      expect(new Set(data.orders.nodes.map((order: any) => order.user.email))).toEqual(new Set([email]));
    }
    const everyone = (await outcome(query, {}, 'admin')).data.orders.nodes.map((order: any) => order.user.email);
    expect(new Set(everyone).size).toBeGreaterThan(2);
  });
});

describe('mutations', () => {
  const productOf = async (id: string) => (await stack.query('query($id: ID!) { product(id: $id) { name priceCents stock reserved } }', { id })).data.product;
  const statusOf = async (id: string) => (await stack.query('query($id: ID!) { order(id: $id) { status } }', { id }, { token: tokens.admin })).data.order.status;

  it.each([
    ['createProduct', 'mutation { createProduct(input: { sku: "AUTHZ-NEW", name: "New", priceCents: 100, stock: 1 }) { id } }'],
    ['updateProduct', 'mutation($product: ID!) { updateProduct(id: $product, input: { name: "Renamed", priceCents: 1 }) { id } }'],
    ['restock', 'mutation($product: ID!) { restock(productId: $product, quantity: 5) { id } }'],
    ['deleteProduct', 'mutation($product: ID!) { deleteProduct(id: $product) }'],
  ])('%s: admins only, and a refusal changes nothing', async (name, query) => {
    const catalogue = async () => (await stack.query('{ products { totalCount } }')).data.products.totalCount;
    const before = { product: await productOf(ids.product), catalogue: await catalogue() };
    for (const caller of ['anonymous', 'owner'] as const) {
      expect((await outcome(query, { product: ids.product }, caller)).outcome).toBe(caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
    }
    expect({ product: await productOf(ids.product), catalogue: await catalogue() }).toEqual(before);
    if (name === 'deleteProduct') return; // the product stays for the other tests
    expect((await outcome(query, { product: ids.product }, 'admin')).outcome).toBe('ok');
  });

  it('placeOrder: any signed-in caller, for itself', async () => {
    const query = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { user { email } } }';
    const variables = { i: { items: [{ productId: ids.product, quantity: 1 }] } };
    expect((await outcome(query, variables, 'anonymous')).outcome).toBe('UNAUTHENTICATED');
    expect((await outcome(query, variables, 'other')).data.placeOrder.user.email).toBe('alan@example.com');
  });

  it('cancelOrder: the owner or an admin; another customer is refused and the order stays PENDING', async () => {
    const order = await pendingOrderOfOwner();
    const query = 'mutation($id: ID!) { cancelOrder(id: $id) { status } }';
    expect((await outcome(query, { id: order }, 'anonymous')).outcome).toBe('UNAUTHENTICATED');
    expect((await outcome(query, { id: order }, 'other')).outcome).toBe('FORBIDDEN');
    expect(await statusOf(order)).toBe('PENDING');
    expect((await outcome(query, { id: order }, 'owner')).outcome).toBe('ok');
    expect((await outcome(query, { id: await pendingOrderOfOwner() }, 'admin')).outcome).toBe('ok');
  });

  it('completeOrder: admins only; customers, even the owner, are refused and the order stays PENDING', async () => {
    const order = await pendingOrderOfOwner();
    const query = 'mutation($id: ID!) { completeOrder(id: $id) { status } }';
    expect((await outcome(query, { id: order }, 'anonymous')).outcome).toBe('UNAUTHENTICATED');
    expect((await outcome(query, { id: order }, 'owner')).outcome).toBe('FORBIDDEN');
    expect((await outcome(query, { id: order }, 'other')).outcome).toBe('FORBIDDEN');
    expect(await statusOf(order)).toBe('PENDING');
    expect((await outcome(query, { id: order }, 'admin')).data.completeOrder.status).toBe('COMPLETED');
  });

  it('markNotificationRead: the owner only; anyone else is refused and it stays unread', async () => {
    const inbox = async () => (await stack.query('{ me { notifications(unreadOnly: true) { nodes { id } } } }', {}, { token: tokens.owner })).data.me.notifications.nodes;
    await waitFor('the owner’s demo notifications', async () => (await inbox()).length > 0, { timeoutMs: 10_000 });
    const note = (await inbox())[0].id;
    const query = 'mutation($id: ID!) { markNotificationRead(id: $id) { readAt } }';
    expect((await outcome(query, { id: note }, 'anonymous')).outcome).toBe('UNAUTHENTICATED');
    expect((await outcome(query, { id: note }, 'other')).outcome).toBe('FORBIDDEN');
    expect((await outcome(query, { id: note }, 'admin')).outcome).toBe('FORBIDDEN');
    expect((await inbox()).map((node: { id: string }) => node.id)).toContain(note);
    expect((await outcome(query, { id: note }, 'owner')).data.markNotificationRead.readAt).toEqual(expect.any(String));
    expect((await inbox()).map((node: { id: string }) => node.id)).not.toContain(note);
  });

  it('signUp and logIn: anyone', async () => {
    const signUp = await outcome('mutation { signUp(input: { email: "authz-new@example.com", name: "New", password: "long-enough" }) { user { email } } }', {}, 'anonymous');
    expect(signUp.data.signUp.user.email).toBe('authz-new@example.com');
    expect((await outcome('mutation { logIn(email: "authz-new@example.com", password: "long-enough") { token } }', {}, 'other')).outcome).toBe('ok');
  });
});
