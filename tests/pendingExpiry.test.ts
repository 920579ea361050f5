// PENDING orders do not hold stock for ever: past PENDING_ORDER_TTL_SECONDS the orders
// service's sweeper cancels them, releases their stock and writes their order.cancelled
// event, and a customer's cancel or an admin's complete racing it still ends in exactly
// one terminal state. The TTL is one second here.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { admin, codes, customer, execute, truncateAll } from './support/execute.js';
import { expectStockInvariant } from './support/invariants.js';
import { bootInventory, bootOrders } from './support/services.js';
import { waitFor } from './support/wait.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
const ORDER = 'query($id: ID!) { order(id: $id) { id status cancellationReason } }';
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status cancellationReason } }';
const COMPLETE = 'mutation($id: ID!) { completeOrder(id: $id) { id status } }';
const TTL_SECONDS = 1;

let inventory: InventoryService;
let orders: OrdersService;
const boss = admin();

const levels = async (id: string) => {
  const { stock, reserved } = await inventory.prisma.product.findUniqueOrThrow({ where: { id } });
  return { stock, reserved };
};
const eventsOf = async (orderId: string) =>
  (await orders.prisma.outboxEvent.findMany({ where: { orderId }, orderBy: { sequence: 'asc' } })).map((row) => row.payload as any);

beforeAll(async () => {
  inventory = await bootInventory();
  const server = await inventory.listen(0, '127.0.0.1');
  orders = await bootOrders({ inventoryUrl: server.url, env: { PENDING_ORDER_TTL_SECONDS: String(TTL_SECONDS), CONFIRM_SWEEP_MS: '100' } });
});
afterAll(async () => {
  await orders.stop();
  await inventory.stop();
});
beforeEach(async () => {
  await truncateAll(orders.database);
  await truncateAll(inventory.database);
});
afterEach(() => expectStockInvariant(inventory, orders));

describe('a PENDING order past its TTL', () => {
  it('is cancelled as EXPIRED: its stock comes back and its order.cancelled event says why', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'HOARDED', name: 'Hoarded', priceCents: 100, stock: 5 } });
    const buyer = customer();
    const { id } = (await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 5 }] } }, buyer)).data!.placeOrder;
    expect(await levels(item.id)).toEqual({ stock: 5, reserved: 5 });

    await waitFor('the sweeper to cancel the expired order', async () => (await orders.prisma.order.findUniqueOrThrow({ where: { id } })).status === 'CANCELLED');
    expect((await execute(orders.server, ORDER, { id }, buyer)).data!.order).toEqual({ id, status: 'CANCELLED', cancellationReason: 'EXPIRED' });
    expect(await levels(item.id)).toEqual({ stock: 5, reserved: 0 });
    const [placed, cancelled, ...more] = await eventsOf(id);
    expect(more).toEqual([]);
    expect(placed.type).toBe('order.placed');
    expect(cancelled).toMatchObject({ type: 'order.cancelled', version: 1, sequence: 2, data: { status: 'CANCELLED', reason: 'EXPIRED' } });
    // The stock can be bought again, and the expired order stays cancelled.
    expect((await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 5 }] } }, customer())).data!.placeOrder.status).toBe('PENDING');
    expect(codes(await execute(orders.server, COMPLETE, { id }, boss))).toEqual(['CONFLICT']);
  });

  it('a cancel by its buyer names the buyer; one by an admin names the admin', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'WHO', name: 'Who', priceCents: 100, stock: 5 } });
    const buyer = customer();
    const place = async () => (await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 1 }] } }, buyer)).data!.placeOrder.id;
    const [mine, theirs] = [await place(), await place()];
    const byBuyer = (await execute(orders.server, CANCEL, { id: mine }, buyer)).data!.cancelOrder;
    const byAdmin = (await execute(orders.server, CANCEL, { id: theirs }, boss)).data!.cancelOrder;
    // Unless the sweeper got there first (the TTL is short here): then it says EXPIRED.
    expect(['CUSTOMER', 'EXPIRED']).toContain(byBuyer.cancellationReason);
    expect(['ADMIN', 'EXPIRED']).toContain(byAdmin.cancellationReason);
    expect((await eventsOf(mine))[1].data.reason).toBe(byBuyer.cancellationReason);
  });
});

describe('the sweeper racing a customer’s cancel and an admin’s complete', () => {
  it('leaves each order in exactly one terminal state, with one terminal event, and the stock following it', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'RACED', name: 'Raced', priceCents: 100, stock: 100 } });
    const buyers = Array.from({ length: 10 }, () => customer());
    const ids: string[] = [];
    for (const buyer of buyers) ids.push((await execute(orders.server, PLACE, { input: { items: [{ productId: item.id, quantity: 2 }] } }, buyer)).data!.placeOrder.id);
    // Wait until every order is past its TTL, then race the sweeper (running every 100 ms,
    // and run here once more at the same time) with a cancel or a complete of each.
    const newest = await orders.prisma.order.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    await waitFor('the orders to pass their TTL', async () => Date.now() > newest.createdAt.getTime() + TTL_SECONDS * 1000, { everyMs: 20 });
    const answers = await Promise.all([
      orders.sweep(),
      ...ids.map((id, i) => (i % 2 === 0 ? execute(orders.server, CANCEL, { id }, buyers[i]) : execute(orders.server, COMPLETE, { id }, boss))),
    ]);

    let sold = 0;
    for (const [i, id] of ids.entries()) {
      const order = await orders.prisma.order.findUniqueOrThrow({ where: { id } });
      expect(order.status).not.toBe('PENDING');
      const events = await eventsOf(id);
      expect(events.map((event) => event.type)).toEqual(['order.placed', order.status === 'COMPLETED' ? 'order.completed' : 'order.cancelled']);
      if (order.status === 'COMPLETED') sold += 2;
      // A complete that lost to the sweeper is told so; a cancel always ends cancelled.
      const answer = answers[i + 1] as Awaited<ReturnType<typeof execute<any>>>;
      if (i % 2 === 0) expect(answer.data?.cancelOrder.status).toBe('CANCELLED');
      else if (order.status === 'CANCELLED') expect(codes(answer)).toEqual(['CONFLICT']);
      else expect(answer.data?.completeOrder.status).toBe('COMPLETED');
    }
    expect(await levels(item.id)).toEqual({ stock: 100 - sold, reserved: 0 });
  });
});
