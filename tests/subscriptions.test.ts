// Federated subscriptions through the gateway, over real WebSockets and SSE streams: each
// event resolved across the supergraph like a query, and never delivered to anyone who
// may not see it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTokens } from '../platform/auth.js';
import { readPlatformConfig } from '../platform/config.js';
import { sseSubscribe, waitForLive, wsConnection, type WsConnection } from './support/live.js';
import { TEST_ENV } from './support/services.js';
import { startStack, type Stack } from './support/stack.js';

const ORDER_UPDATED = `subscription Watch($id: ID) {
  orderUpdated(id: $id) { id status totalCents user { id name } items { quantity product { id name available } } }
}`;
const NOTIFICATION_ADDED = 'subscription Inbox { notificationAdded { id kind subject order { id status } } }';
const AVAILABILITY = 'subscription Stock($ids: [ID!]!) { productAvailabilityChanged(ids: $ids) { id name stock reserved available } }';
const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const CANCEL = 'mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status } }';

let stack: Stack;
const connections: WsConnection[] = [];

beforeAll(async () => {
  // The relay delivers order events to notifications at once (notificationAdded).
  stack = await startStack({ env: { OUTBOX_RELAY_MS: '100' } });
}, 240_000);
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.dispose()));
  await stack?.stop();
});

const connect = (token?: string, params?: Record<string, unknown>) => {
  const connection = wsConnection(stack.gatewayUrl, { token, params });
  connections.push(connection);
  return connection;
};

async function customer(tag: string) {
  const user = await stack.users.prisma.user.create({ data: { email: `${tag}-${Date.now()}@example.com`, name: tag, passwordHash: 'x' } });
  return { id: user.id, name: user.name, token: await stack.users.tokens.signUser({ id: user.id, role: user.role }) };
}

const product = (sku: string, stock = 10) => stack.inventory.prisma.product.create({ data: { sku: `${sku}-${Date.now()}`, name: sku, priceCents: 250, stock } });

async function place(token: string, productId: string, quantity = 1): Promise<string> {
  const result = await stack.query(PLACE, { input: { items: [{ productId, quantity }] } }, { token });
  expect(result.errors).toBeUndefined();
  return result.data.placeOrder.id;
}

describe('over WebSocket (graphql-ws)', () => {
  it("delivers an order's change with the buyer from users and the stock from inventory, one statement per subgraph", async () => {
    const ada = await customer('Ada');
    const lamp = await product('LAMP', 5);
    const watch = connect(ada.token).subscribe(ORDER_UPDATED);
    await waitForLive(stack.orders.metrics.registry, 'orderUpdated', 1);

    const before = stack.statements();
    const orderId = await place(ada.token, lamp.id, 2);
    const event = await watch.next();
    expect(event.errors).toBeUndefined();
    expect(event.data).toEqual({
      orderUpdated: {
        id: orderId,
        status: 'PENDING',
        totalCents: 500,
        user: { id: ada.id, name: 'Ada' },
        items: [{ quantity: 2, product: { id: lamp.id, name: 'LAMP', available: 3 } }],
      },
    });
    const placing = stack.statements();
    // Cancelling costs users nothing; the event's `user` costs users one statement, its
    // products one in inventory (batched, as for a query).
    await stack.query(CANCEL, { id: orderId }, { token: ada.token });
    expect((await watch.next()).data?.orderUpdated).toMatchObject({ id: orderId, status: 'CANCELLED', items: [{ product: { available: 5 } }] });
    const after = stack.statements();
    expect(placing.users - before.users).toBe(1);
    expect(after.users - placing.users).toBe(1);
    watch.unsubscribe();
    await waitForLive(stack.orders.metrics.registry, 'orderUpdated', 0);
  });

  it('accepts the token under "Authorization" as well as "authorization"', async () => {
    const grace = await customer('Grace');
    const watch = connect(undefined, { Authorization: `Bearer ${grace.token}` }).subscribe(NOTIFICATION_ADDED);
    await waitForLive(stack.notifications.metrics.registry, 'notificationAdded', 1);
    const orderId = await place(grace.token, (await product('BOOK')).id);
    const event = await watch.next();
    expect(event.errors).toBeUndefined();
    expect(event.data?.notificationAdded).toMatchObject({ kind: 'order.placed', order: { id: orderId, status: 'PENDING' } });
    watch.unsubscribe();
    await waitForLive(stack.notifications.metrics.registry, 'notificationAdded', 0);
  });

  it('a signed-out client is refused the private fields with UNAUTHENTICATED, and the subscription ends', async () => {
    const watch = connect().subscribe(ORDER_UPDATED);
    const event = await watch.next();
    expect(event.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await watch.ended;
  });

  it('an invalid token closes the connection with 4403', async () => {
    const connection = connect('not-a-token');
    expect(await connection.closed).toMatchObject({ code: 4403, reason: 'Token invalid' });
  });
});

describe("another customer's events are never delivered", () => {
  it('neither their orders nor their notifications, and their order cannot be watched by id', async () => {
    const [ada, alan] = await Promise.all([customer('Ada'), customer('Alan')]);
    const admin = await stack.adminToken();
    const item = await product('PEN', 100);
    const adaConnection = connect(ada.token);
    const alanConnection = connect(alan.token);
    const adaOrders = adaConnection.subscribe(ORDER_UPDATED);
    const adaInbox = adaConnection.subscribe(NOTIFICATION_ADDED);
    const alanOrders = alanConnection.subscribe(ORDER_UPDATED);
    const alanInbox = alanConnection.subscribe(NOTIFICATION_ADDED);
    const adminOrders = connect(admin).subscribe(ORDER_UPDATED);
    await waitForLive(stack.orders.metrics.registry, 'orderUpdated', 3);
    await waitForLive(stack.notifications.metrics.registry, 'notificationAdded', 2);

    const adasOrder = await place(ada.token, item.id);
    expect((await adaOrders.next()).data?.orderUpdated.id).toBe(adasOrder);
    expect((await adaInbox.next()).data?.notificationAdded.order.id).toBe(adasOrder);
    // An admin watches every order.
    expect((await adminOrders.next()).data?.orderUpdated).toMatchObject({ id: adasOrder, user: { name: 'Ada' } });

    // Alan's own order comes after Ada's on the same bus: if his first event is his own,
    // Ada's was never delivered to him.
    const alansOrder = await place(alan.token, item.id);
    expect((await alanOrders.next()).data?.orderUpdated.id).toBe(alansOrder);
    expect((await alanInbox.next()).data?.notificationAdded.order.id).toBe(alansOrder);
    expect(alanOrders.pending()).toEqual([]);

    const byId = alanConnection.subscribe(ORDER_UPDATED, { id: adasOrder });
    const refused = await byId.next();
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.data).toBeNull();
    await byId.ended;

    for (const each of [adaOrders, adaInbox, alanOrders, alanInbox, adminOrders]) each.unsubscribe();
    await waitForLive(stack.orders.metrics.registry, 'orderUpdated', 0);
    await waitForLive(stack.notifications.metrics.registry, 'notificationAdded', 0);
  });
});

describe('over SSE (graphql-sse)', () => {
  it("delivers a product's availability to a signed-out client as it changes", async () => {
    const chair = await product('CHAIR', 4);
    const watch = sseSubscribe(stack.gatewayUrl, AVAILABILITY, { ids: [chair.id] });
    try {
      await waitForLive(stack.inventory.metrics.registry, 'productAvailabilityChanged', 1);
      const buyer = await customer('Buyer');
      await place(buyer.token, chair.id, 3);
      expect((await watch.next()).data?.productAvailabilityChanged).toEqual({ id: chair.id, name: 'CHAIR', stock: 4, reserved: 3, available: 1 });
    } finally {
      watch.dispose();
    }
  });

  it("delivers the caller's own orders with the Authorization header", async () => {
    const ada = await customer('Ada');
    const watch = sseSubscribe(stack.gatewayUrl, ORDER_UPDATED, {}, ada.token);
    try {
      await waitForLive(stack.orders.metrics.registry, 'orderUpdated', 1);
      const orderId = await place(ada.token, (await product('MUG')).id);
      expect((await watch.next()).data?.orderUpdated).toMatchObject({ id: orderId, user: { name: 'Ada' }, items: [{ product: { name: 'MUG' } }] });
    } finally {
      watch.dispose();
    }
  });
});

describe('limits', () => {
  it('query limits apply to subscription documents (depth)', async () => {
    const deep = 'subscription { notificationAdded { order { user { orders { nodes { user { orders { nodes { user { name } } } } } } } } } }';
    const watch = connect((await customer('Deep')).token).subscribe(deep);
    await expect(watch.ended).resolves.toMatchObject({ error: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })] });
  });

  it('a token that expires ends the connection with 4403 "Token expired"', async () => {
    const shortLived = createTokens({ ...readPlatformConfig(TEST_ENV), jwtTtlSeconds: 2 }, null);
    const ada = await customer('Ada');
    const connection = connect(await shortLived.signUser({ id: ada.id, role: 'CUSTOMER' }));
    const watch = connection.subscribe(ORDER_UPDATED);
    expect(await connection.closed).toMatchObject({ code: 4403, reason: 'Token expired' });
    await watch.ended;
  });
});
