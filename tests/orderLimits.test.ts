// What one buyer can hold, and orders that cannot be recorded: caps on PENDING orders and
// pending units per customer (safe under parallel checkouts), totals that must fit the
// contract's Int, and completing an order whose stock is no longer held.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { admin, codes, customer, execute, truncateAll } from './support/execute.js';
import { expectStockInvariant } from './support/invariants.js';
import { bootInventory, bootOrders } from './support/services.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status totalCents } }`;
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';
const COMPLETE = 'mutation($id: ID!) { completeOrder(id: $id) { id status } }';
const MAX_ORDERS = 3;
const MAX_UNITS = 10;
const INT_MAX = 2 ** 31 - 1;

let inventory: InventoryService;
let orders: OrdersService;
const boss = admin();

async function product(sku: string, stock = 100, priceCents = 1000) {
  return inventory.prisma.product.create({ data: { sku, name: sku, priceCents, stock } });
}
const place = (buyer: ReturnType<typeof customer>, items: { productId: string; quantity: number }[], idempotencyKey?: string) =>
  execute(orders.server, PLACE, { input: { items, idempotencyKey } }, buyer);
const reserved = async (id: string) => (await inventory.prisma.product.findUniqueOrThrow({ where: { id } })).reserved;

beforeAll(async () => {
  inventory = await bootInventory();
  const server = await inventory.listen(0, '127.0.0.1');
  orders = await bootOrders({
    inventoryUrl: server.url,
    env: { PENDING_ORDERS_PER_CUSTOMER: String(MAX_ORDERS), PENDING_UNITS_PER_CUSTOMER: String(MAX_UNITS) },
  });
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

describe('caps on what one customer holds', () => {
  it(`10 parallel checkouts of one customer: exactly ${MAX_ORDERS} placed, the rest LIMIT_EXCEEDED naming the cap`, async () => {
    const item = await product('CAPPED');
    const buyer = customer();
    const results = await Promise.all(Array.from({ length: 10 }, () => place(buyer, [{ productId: item.id, quantity: 1 }])));
    const placed = results.filter((r) => r.data?.placeOrder);
    const refused = results.filter((r) => codes(r)[0] === 'LIMIT_EXCEEDED');
    expect(placed).toHaveLength(MAX_ORDERS);
    expect(refused).toHaveLength(10 - MAX_ORDERS);
    for (const answer of refused) expect(answer.errors![0]!.extensions).toMatchObject({ limit: 'pendingOrders', max: MAX_ORDERS });
    expect(await reserved(item.id)).toBe(MAX_ORDERS);
  });

  it(`10 parallel checkouts of 4 units: at most ${MAX_UNITS} units pending, the rest LIMIT_EXCEEDED`, async () => {
    const item = await product('UNITS');
    const buyer = customer();
    const results = await Promise.all(Array.from({ length: 10 }, () => place(buyer, [{ productId: item.id, quantity: 4 }])));
    expect(results.filter((r) => r.data?.placeOrder)).toHaveLength(2);
    const refused = results.filter((r) => codes(r)[0] === 'LIMIT_EXCEEDED');
    expect(refused).toHaveLength(8);
    for (const answer of refused) expect(answer.errors![0]!.extensions).toMatchObject({ limit: 'pendingUnits', max: MAX_UNITS });
    expect(await reserved(item.id)).toBe(8);
  });

  it('refuses before anything is reserved, counts only PENDING orders, and is per customer', async () => {
    const item = await product('SLOTS');
    const buyer = customer();
    const ids: string[] = [];
    for (let i = 0; i < MAX_ORDERS; i++) ids.push((await place(buyer, [{ productId: item.id, quantity: 1 }])).data.placeOrder.id);
    const statements = inventory.stats.statements;
    expect(codes(await place(buyer, [{ productId: item.id, quantity: 1 }]))).toEqual(['LIMIT_EXCEEDED']);
    expect(inventory.stats.statements).toBe(statements); // inventory was not even asked
    // Another customer is not affected; a cancelled or completed order frees a slot.
    expect((await place(customer(), [{ productId: item.id, quantity: 1 }])).data.placeOrder.status).toBe('PENDING');
    await execute(orders.server, CANCEL, { id: ids[0] }, buyer);
    await execute(orders.server, COMPLETE, { id: ids[1] }, boss);
    expect((await place(buyer, [{ productId: item.id, quantity: 1 }])).data.placeOrder.status).toBe('PENDING');
    expect((await place(buyer, [{ productId: item.id, quantity: 1 }])).data.placeOrder.status).toBe('PENDING');
    expect(codes(await place(buyer, [{ productId: item.id, quantity: 1 }]))).toEqual(['LIMIT_EXCEEDED']);
  });

  it('a retry of a placed order with its idempotency key is answered, not counted again', async () => {
    const item = await product('RETRIED');
    const buyer = customer();
    const first = await place(buyer, [{ productId: item.id, quantity: MAX_UNITS }], 'all-of-it');
    const retry = await place(buyer, [{ productId: item.id, quantity: MAX_UNITS }], 'all-of-it');
    expect(retry.data.placeOrder.id).toBe(first.data.placeOrder.id);
    expect(await reserved(item.id)).toBe(MAX_UNITS);
  });
});

// The catalogue takes prices up to 10^8 cents, where 22 units pass 2^31 − 1; these tests
// stay under the units cap above with dearer products, written straight to the database.
describe('totals that must fit the contract’s Int', () => {
  it('refuses a line whose subtotal would pass 2^31 − 1 cents with BAD_USER_INPUT, reserving and saving nothing', async () => {
    const dear = await product('DEAR', 100, 1_500_000_000);
    const result = await place(customer(), [{ productId: dear.id, quantity: 2 }]); // 3e9 cents
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions).toMatchObject({ field: 'items' });
    expect(await reserved(dear.id)).toBe(0);
    expect(await orders.prisma.order.count()).toBe(0);
  });

  it('refuses an order whose lines fit but whose total does not', async () => {
    const a = await product('A', 100, 1_500_000_000);
    const b = await product('B', 100, 1_500_000_000);
    const result = await place(customer(), [{ productId: a.id, quantity: 1 }, { productId: b.id, quantity: 1 }]); // 1.5e9 each
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(await reserved(a.id)).toBe(0);
    expect(await reserved(b.id)).toBe(0);
  });

  it('takes an order whose total is exactly 2^31 − 1 cents', async () => {
    const exact = await product('EXACT', 1, INT_MAX);
    const result = await place(customer(), [{ productId: exact.id, quantity: 1 }]);
    expect(result.errors).toBeUndefined();
    expect(result.data.placeOrder.totalCents).toBe(INT_MAX);
  });
});

describe('completing an order whose stock is no longer held', () => {
  it('answers CONFLICT and changes nothing; the order can still be cancelled', async () => {
    const item = await product('GONE', 10);
    const buyer = customer();
    const { id } = (await place(buyer, [{ productId: item.id, quantity: 2 }])).data.placeOrder;
    // The reservation is gone (inventory restored from an older backup, say).
    await inventory.prisma.reservation.deleteMany({ where: { orderId: id } });
    await inventory.prisma.product.update({ where: { id: item.id }, data: { reserved: 0 } });
    const events = await orders.prisma.outboxEvent.count();

    const result = await execute(orders.server, COMPLETE, { id }, boss);
    expect(codes(result)).toEqual(['CONFLICT']);
    expect((await orders.prisma.order.findUniqueOrThrow({ where: { id } })).status).toBe('PENDING');
    expect(await orders.prisma.outboxEvent.count()).toBe(events);
    expect(await inventory.prisma.product.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ stock: 10, reserved: 0 });

    expect((await execute(orders.server, CANCEL, { id }, buyer)).data.cancelOrder.status).toBe('CANCELLED');
  });
});
