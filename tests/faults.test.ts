// What happens to held stock when the link between orders and inventory fails at the
// worst moment. The link is a real TCP connection through a proxy that loses replies or
// requests on demand; the reservation TTL is shortened to keep the tests quick.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
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

beforeAll(async () => {
  inventory = await bootInventory({ env: { RESERVATION_TTL_SECONDS: String(TTL_SECONDS), RESERVATION_SWEEP_MS: '100' } });
  const server = await inventory.listen(0, '127.0.0.1');
  proxy = await startFaultyProxy(server.url);
  orders = await bootOrders({ inventoryUrl: proxy.url, env: { CONFIRM_SWEEP_MS: '100', INVENTORY_TIMEOUT_MS: '2000', BREAKER_HALF_OPEN_MS: '200' } });
});
afterAll(async () => {
  await orders.stop();
  await proxy.close();
  await inventory.stop();
});
beforeEach(async () => {
  proxy.dropReplies = false;
  proxy.dropRequests = null;
  await truncateAll(orders.database);
  await truncateAll(inventory.database);
});
afterEach(() => expectStockInvariant(inventory, orders));

describe('the reply to a reservation is lost', () => {
  it('the buyer gets SUBGRAPH_UNAVAILABLE, no order exists, and the held stock comes back within the TTL', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'LOST', name: 'Lost reply', priceCents: 100, stock: 5 } });
    proxy.dropReplies = true;
    const result = await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 2 }] } }, buyer);
    expect(codes(result)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(await orders.prisma.order.count()).toBe(0);
    expect(await reserved(item.id)).toBe(2); // inventory did reserve: only the answer was lost
    proxy.dropReplies = false;
    const started = Date.now();
    expect(await eventually(() => reserved(item.id), (n) => n === 0)).toBe(0);
    expect(Date.now() - started).toBeLessThan((TTL_SECONDS + 2) * 1000);
  });

  it('a retry with the same idempotency key after the lost reply gets the order, holding the stock once', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'RETRY', name: 'Retry', priceCents: 100, stock: 5 } });
    const input = { items: [{ productId: item.id, quantity: 2 }], idempotencyKey: 'lost-then-retried' };
    proxy.dropReplies = true;
    expect(codes(await execute(orders.server, PLACE, { input }, buyer))).toEqual(['SUBGRAPH_UNAVAILABLE']);
    proxy.dropReplies = false;
    const retry = await execute(orders.server, PLACE, { input }, buyer);
    expect(retry.data?.placeOrder.status).toBe('PENDING');
    expect(await reserved(item.id)).toBe(2);
    // Confirmed, so the stock stays held past the TTL.
    await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000));
    expect(await reserved(item.id)).toBe(2);
  }, 20_000);
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
