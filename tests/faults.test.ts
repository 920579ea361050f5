// What happens to held stock when the link between orders and inventory fails at the
// worst moment. The link is a real TCP connection through a proxy that loses replies or
// requests on demand; the reservation TTL is shortened to keep the tests quick.
// When the answer to a reservation is lost, orders releases it before answering (so the
// buyer's "nothing was reserved" is true at once); only when that release is lost too is
// the outcome unknown to the buyer, and then a retry with the same key settles it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Deadline } from '../platform/deadline.js';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { codes, customer, execute, truncateAll } from './support/execute.js';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { expectStockInvariant } from './support/invariants.js';
import { bootInventory, bootOrders } from './support/services.js';

const TTL_SECONDS = 5;
const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;

let inventory: InventoryService;
let orders: OrdersService;
let proxy: FaultyProxy;
const buyer = customer();

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const reserved = async (id: string) => (await inventory.prisma.product.findUniqueOrThrow({ where: { id } })).reserved;

/** placeOrder as the buyer, with `budgetMs` left of the request's budget. */
async function executeWithin(budgetMs: number, query: string, variables: Record<string, unknown>) {
  const response = await orders.server.apollo.executeOperation<any>({ query, variables }, { contextValue: orders.server.contextFor(buyer, new Deadline(budgetMs)) });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

beforeAll(async () => {
  inventory = await bootInventory({ env: { RESERVATION_TTL_SECONDS: String(TTL_SECONDS), RESERVATION_SWEEP_MS: '100' } });
  const server = await inventory.listen(0, '127.0.0.1');
  proxy = await startFaultyProxy(server.url);
  orders = await bootOrders({ inventoryUrl: proxy.url, env: { CONFIRM_SWEEP_MS: '100', BREAKER_HALF_OPEN_MS: '200' } });
});
afterAll(async () => {
  await orders.stop();
  await proxy.close();
  await inventory.stop();
});
beforeEach(async () => {
  proxy.dropReplies = false;
  proxy.dropRequests = null;
  proxy.dropRepliesTo = null;
  proxy.blackhole = false;
  await truncateAll(orders.database);
  await truncateAll(inventory.database);
});
afterEach(() => expectStockInvariant(inventory, orders));

describe('the reply to a reservation is lost', () => {
  it('orders releases it and tells the buyer, truly, that nothing was reserved: no order, nothing held', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'LOST', name: 'Lost reply', priceCents: 100, stock: 5 } });
    proxy.dropRepliesTo = /reserveStock/;
    const result = await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 2 }] } }, buyer);
    expect(codes(result)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(result.errors![0]!.extensions).toMatchObject({ subgraph: 'inventory', reason: 'unreachable' });
    expect(result.errors![0]!.extensions!.outcome).toBeUndefined();
    expect(result.errors![0]!.message).toMatch(/nothing was reserved/);
    expect(await orders.prisma.order.count()).toBe(0);
    expect(await reserved(item.id)).toBe(0); // at once, not after the TTL
  });

  it('when the release is lost too, the outcome is "unknown", and a retry with the same key gets the order, holding the stock once', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'RETRY', name: 'Retry', priceCents: 100, stock: 5 } });
    const input = { items: [{ productId: item.id, quantity: 2 }], idempotencyKey: 'lost-then-retried' };
    proxy.dropReplies = true;
    const first = await execute(orders.server, PLACE, { input }, buyer);
    expect(first.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', outcome: 'unknown' });
    expect(await orders.prisma.order.count()).toBe(0);
    proxy.dropReplies = false;
    const retry = await execute(orders.server, PLACE, { input }, buyer);
    expect(retry.data?.placeOrder.status).toBe('PENDING');
    expect(await reserved(item.id)).toBe(2);
    // Confirmed, so the stock stays held past the TTL.
    await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000));
    expect(await reserved(item.id)).toBe(2);
  }, 20_000);

  it('when the release cannot get through at all, the outcome is "unknown" and the held stock comes back within the TTL', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'STRANDED', name: 'Stranded', priceCents: 100, stock: 5 } });
    proxy.dropRepliesTo = /reserveStock/;
    proxy.dropRequests = /releaseReservation/;
    const result = await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 2 }] } }, buyer);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', outcome: 'unknown' });
    expect(await orders.prisma.order.count()).toBe(0);
    expect(await reserved(item.id)).toBe(2); // inventory did reserve: the answer and the release were lost
    proxy.dropRepliesTo = null;
    proxy.dropRequests = null;
    const started = Date.now();
    expect(await eventually(() => reserved(item.id), (n) => n === 0)).toBe(0);
    expect(Date.now() - started).toBeLessThan((TTL_SECONDS + 2) * 1000);
  }, 20_000);
});

describe('inventory hangs (connections accepted, never answered)', () => {
  it('the buyer hears "unknown" within its budget, and once inventory answers again the next checkout goes through', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'HUNG', name: 'Hung', priceCents: 100, stock: 5 } });
    const input = { items: [{ productId: item.id, quantity: 1 }], idempotencyKey: 'while-hung' };
    proxy.blackhole = true;
    proxy.cutAll(); // every call from here on opens a connection inventory never reads
    // A 1.5 s budget, as if the gateway had that much left: the reservation and the release both time out.
    const hung = await executeWithin(1500, PLACE, { input });
    expect(hung.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', reason: 'timeout', outcome: 'unknown' });
    proxy.blackhole = false;
    const retry = await execute(orders.server, PLACE, { input }, buyer);
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.placeOrder.status).toBe('PENDING');
    expect(await reserved(item.id)).toBe(1);
  });
});

describe('the confirmation does not get through', () => {
  it('the order is saved PENDING and the sweeper confirms it once inventory answers again', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'LATE', name: 'Late confirm', priceCents: 100, stock: 5 } });
    proxy.dropRequests = /confirmReservation/;
    const { id } = (await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 1 }] } }, buyer)).data!.placeOrder;
    expect((await orders.prisma.order.findUniqueOrThrow({ where: { id } })).confirmedAt).toBeNull();
    proxy.dropRequests = null;
    const order = await eventually(() => orders.prisma.order.findUniqueOrThrow({ where: { id } }), (o) => o.confirmedAt !== null);
    expect(order).toMatchObject({ status: 'PENDING', confirmedAt: expect.any(Date) });
    await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000));
    expect(await reserved(item.id)).toBe(1);
  }, 20_000);

  it('if the reservation expires first, the sweeper cancels the order instead of leaving it PENDING with nothing held', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'EXPIRED', name: 'Expired', priceCents: 100, stock: 5 } });
    proxy.dropRequests = /confirmReservation/;
    const { id } = (await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 1 }] } }, buyer)).data!.placeOrder;
    expect(await eventually(() => reserved(item.id), (n) => n === 0)).toBe(0);
    proxy.dropRequests = null;
    const order = await eventually(() => orders.prisma.order.findUniqueOrThrow({ where: { id } }), (o) => o.status !== 'PENDING');
    expect(order.status).toBe('CANCELLED');
  }, 20_000);
});
