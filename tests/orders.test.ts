import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { admin, codes, customer, execute, truncateAll } from './support/execute.js';
import { expectStockInvariant } from './support/invariants.js';
import { bootInventory, bootOrders } from './support/services.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status totalCents user { id } items { quantity unitPriceCents subtotalCents product { id } } }
}`;
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';
const COMPLETE = 'mutation($id: ID!) { completeOrder(id: $id) { id status } }';
const ORDERS = `query Orders($first: Int, $after: String, $status: OrderStatus, $userId: ID) {
  orders(first: $first, after: $after, status: $status, userId: $userId) { totalCount nodes { id user { id } status } pageInfo { hasNextPage endCursor } }
}`;

let inventory: InventoryService;
let orders: OrdersService;
const run = (query: string, variables?: Record<string, unknown>, caller?: Parameters<typeof execute>[3]) =>
  execute(orders.server, query, variables, caller);

const ada = customer();
const alan = customer();
const boss = admin();

async function product(sku: string, stock = 10, priceCents = 1000) {
  return inventory.prisma.product.create({ data: { sku, name: sku, priceCents, stock } });
}
const levels = async (id: string) => {
  const { stock, reserved } = await inventory.prisma.product.findUniqueOrThrow({ where: { id } });
  return { stock, reserved };
};
const place = (caller: typeof ada, items: { productId: string; quantity: number }[], idempotencyKey?: string) =>
  run(PLACE, { input: { items, idempotencyKey } }, caller);

beforeAll(async () => {
  inventory = await bootInventory();
  const server = await inventory.listen(0, '127.0.0.1');
  orders = await bootOrders({ inventoryUrl: server.url });
});
afterAll(async () => {
  await orders.stop();
  await inventory.stop();
});
afterEach(() => expectStockInvariant(inventory, orders));
beforeEach(async () => {
  await truncateAll(orders.database);
  await truncateAll(inventory.database);
});

describe('placeOrder', () => {
  it('reserves the stock and records a PENDING order priced from inventory', async () => {
    const a = await product('A', 10, 250);
    const b = await product('B', 5, 1999);
    const result = await place(ada, [{ productId: a.id, quantity: 4 }, { productId: b.id, quantity: 1 }]);
    expect(result.errors).toBeUndefined();
    expect(result.data.placeOrder).toMatchObject({
      status: 'PENDING',
      totalCents: 4 * 250 + 1999,
      user: { id: (ada as { userId: string }).userId },
      items: [
        { quantity: 4, unitPriceCents: 250, subtotalCents: 1000, product: { id: a.id } },
        { quantity: 1, unitPriceCents: 1999, subtotalCents: 1999, product: { id: b.id } },
      ],
    });
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 4 });
    expect(await levels(b.id)).toEqual({ stock: 5, reserved: 1 });
  });

  it('keeps the price it was placed at when the product price changes later', async () => {
    const a = await product('A', 10, 500);
    const { id } = (await place(ada, [{ productId: a.id, quantity: 2 }])).data.placeOrder;
    await inventory.prisma.product.update({ where: { id: a.id }, data: { priceCents: 900 } });
    const order = await run('query($id: ID!) { order(id: $id) { totalCents items { unitPriceCents } } }', { id }, ada);
    expect(order.data.order).toEqual({ totalCents: 1000, items: [{ unitPriceCents: 500 }] });
  });

  it('merges lines for the same product', async () => {
    const a = await product('A');
    const result = await place(ada, [{ productId: a.id, quantity: 2 }, { productId: a.id, quantity: 3 }]);
    expect(result.data.placeOrder.items).toEqual([expect.objectContaining({ quantity: 5 })]);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 5 });
  });

  it.each([
    ['no items', []],
    ['a zero quantity', [{ quantity: 0 }]],
    ['a negative quantity', [{ quantity: -1 }]],
    ['a quantity above the cap', [{ quantity: 1001 }]],
    ['a malformed product id', [{ productId: 'not-a-uuid', quantity: 1 }]],
  ])('refuses %s with BAD_USER_INPUT and reserves nothing', async (_case, lines) => {
    const a = await product('A');
    const result = await place(ada, lines.map((line) => ({ productId: a.id, ...line })));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await orders.prisma.order.count()).toBe(0);
  });

  it('answers OUT_OF_STOCK, naming what is available, and saves nothing', async () => {
    const plenty = await product('PLENTY', 100);
    const few = await product('FEW', 1);
    const result = await place(ada, [{ productId: plenty.id, quantity: 1 }, { productId: few.id, quantity: 2 }]);
    expect(codes(result)).toEqual(['OUT_OF_STOCK']);
    expect(result.errors![0]!.extensions).toMatchObject({ productId: few.id, available: 1, requested: 2 });
    expect(await levels(plenty.id)).toEqual({ stock: 100, reserved: 0 });
    expect(await orders.prisma.order.count()).toBe(0);
  });

  it('answers NOT_FOUND for an unknown product', async () => {
    expect(codes(await place(ada, [{ productId: randomUUID(), quantity: 1 }]))).toEqual(['NOT_FOUND']);
  });

  it('returns the same order for a retried idempotency key and reserves once', async () => {
    const a = await product('A');
    const first = await place(ada, [{ productId: a.id, quantity: 2 }], 'checkout-1');
    const retry = await place(ada, [{ productId: a.id, quantity: 2 }], 'checkout-1');
    expect(retry.data.placeOrder.id).toBe(first.data.placeOrder.id);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 2 });
    expect(codes(await place(ada, [{ productId: a.id, quantity: 3 }], 'checkout-1'))).toEqual(['CONFLICT']);
    // Keys are per user: another buyer's same key is another order.
    const other = await place(alan, [{ productId: a.id, quantity: 2 }], 'checkout-1');
    expect(other.data.placeOrder.id).not.toBe(first.data.placeOrder.id);
  });

  it('requires a signed-in user', async () => {
    const a = await product('A');
    expect(codes(await run(PLACE, { input: { items: [{ productId: a.id, quantity: 1 }] } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('answers SUBGRAPH_UNAVAILABLE when inventory cannot be reached, and saves nothing', async () => {
    const stranded = await bootOrders({ inventoryUrl: 'http://127.0.0.1:9/graphql' });
    try {
      const result = await execute(stranded.server, PLACE, { input: { items: [{ productId: randomUUID(), quantity: 1 }] } }, ada);
      expect(codes(result)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(result.errors![0]!.extensions!.subgraph).toBe('inventory');
      expect(await stranded.prisma.order.count()).toBe(0);
    } finally {
      await stranded.stop();
    }
  });
});

describe('cancelOrder and completeOrder', () => {
  it('cancel releases the stock; cancelling again answers the same order', async () => {
    const a = await product('A');
    const { id } = (await place(ada, [{ productId: a.id, quantity: 3 }])).data.placeOrder;
    expect((await run(CANCEL, { id }, ada)).data.cancelOrder).toEqual({ id, status: 'CANCELLED' });
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 0 });
    expect((await run(CANCEL, { id }, ada)).data.cancelOrder.status).toBe('CANCELLED');
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it('complete sells the reserved units: stock and reserved both drop', async () => {
    const a = await product('A');
    const { id } = (await place(ada, [{ productId: a.id, quantity: 3 }])).data.placeOrder;
    expect((await run(COMPLETE, { id }, boss)).data.completeOrder.status).toBe('COMPLETED');
    expect(await levels(a.id)).toEqual({ stock: 7, reserved: 0 });
    expect((await run(COMPLETE, { id }, boss)).data.completeOrder.status).toBe('COMPLETED');
    expect(await levels(a.id)).toEqual({ stock: 7, reserved: 0 });
  });

  it('refuses transitions out of a final status with CONFLICT', async () => {
    const a = await product('A');
    const cancelled = (await place(ada, [{ productId: a.id, quantity: 1 }])).data.placeOrder.id;
    const completed = (await place(ada, [{ productId: a.id, quantity: 1 }])).data.placeOrder.id;
    await run(CANCEL, { id: cancelled }, ada);
    await run(COMPLETE, { id: completed }, boss);
    expect(codes(await run(COMPLETE, { id: cancelled }, boss))).toEqual(['CONFLICT']);
    expect(codes(await run(CANCEL, { id: completed }, ada))).toEqual(['CONFLICT']);
    expect(await levels(a.id)).toEqual({ stock: 9, reserved: 0 });
  });

  it('a customer cannot cancel another buyer’s order nor complete any', async () => {
    const a = await product('A');
    const { id } = (await place(ada, [{ productId: a.id, quantity: 1 }])).data.placeOrder;
    expect(codes(await run(CANCEL, { id }, alan))).toEqual(['FORBIDDEN']);
    expect(codes(await run(COMPLETE, { id }, ada))).toEqual(['FORBIDDEN']);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 1 });
  });

  it('an admin can cancel anyone’s order; an unknown order is NOT_FOUND', async () => {
    const a = await product('A');
    const { id } = (await place(ada, [{ productId: a.id, quantity: 1 }])).data.placeOrder;
    expect((await run(CANCEL, { id }, boss)).data.cancelOrder.status).toBe('CANCELLED');
    expect(codes(await run(CANCEL, { id: randomUUID() }, boss))).toEqual(['NOT_FOUND']);
  });
});

describe('order events in the outbox', () => {
  const events = async () =>
    (await orders.prisma.outboxEvent.findMany({ orderBy: { position: 'asc' } })).map((row) => row.payload as any);

  it('writes order.placed with the items, names and prices, and nothing for an order that was not saved', async () => {
    const a = await product('Teapot', 10, 2500);
    const { id } = (await place(ada, [{ productId: a.id, quantity: 2 }])).data.placeOrder;
    await place(ada, [{ productId: a.id, quantity: 999 }]); // OUT_OF_STOCK: no order, no event
    await place(ada, [{ productId: a.id, quantity: 2 }], 'key'); // a retried key: one order, one event
    await place(ada, [{ productId: a.id, quantity: 2 }], 'key');
    const [placed, ...others] = await events();
    expect(others).toHaveLength(1);
    expect(placed).toEqual({
      id: expect.any(String),
      type: 'order.placed',
      version: 1,
      occurredAt: expect.any(String),
      orderId: id,
      sequence: 1,
      data: { userId: ada.kind === 'user' ? ada.userId : '', status: 'PENDING', totalCents: 5000, items: [{ productId: a.id, name: 'Teapot', quantity: 2, unitPriceCents: 2500 }] },
    });
  });

  it('writes one terminal event per order, even when cancel and complete race', async () => {
    const a = await product('A');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await place(ada, [{ productId: a.id, quantity: 1 }])).data.placeOrder.id);
    await Promise.all(ids.flatMap((id) => [run(CANCEL, { id }, ada), run(COMPLETE, { id }, boss), run(CANCEL, { id }, boss)]));
    const all = await events();
    for (const id of ids) {
      const mine = all.filter((event) => event.orderId === id);
      const final = (await orders.prisma.order.findUniqueOrThrow({ where: { id } })).status;
      expect(mine.map((event) => [event.type, event.sequence])).toEqual([
        ['order.placed', 1],
        [final === 'CANCELLED' ? 'order.cancelled' : 'order.completed', 2],
      ]);
      expect(mine[1].data.status).toBe(final);
    }
  });
});

describe('reading orders', () => {
  async function placeMany(caller: typeof ada, count: number, productId: string) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await place(caller, [{ productId, quantity: 1 }])).data.placeOrder.id);
    return ids;
  }

  it('a customer lists only their own orders, newest first, page by page', async () => {
    const a = await product('A', 100);
    const mine = await placeMany(ada, 7, a.id);
    await placeMany(alan, 3, a.id);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await run(ORDERS, { first: 3, after }, ada)).data.orders;
      expect(page.totalCount).toBe(7);
      seen.push(...page.nodes.map((n: any) => n.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual([...mine].reverse());
  });

  it('a customer asking for another user’s orders gets FORBIDDEN; an admin gets them', async () => {
    const a = await product('A', 100);
    await placeMany(alan, 2, a.id);
    const alanId = (alan as { userId: string }).userId;
    expect(codes(await run(ORDERS, { userId: alanId }, ada))).toEqual(['FORBIDDEN']);
    expect((await run(ORDERS, { userId: alanId }, boss)).data.orders.totalCount).toBe(2);
    expect((await run(ORDERS, {}, boss)).data.orders.totalCount).toBe(2);
  });

  it('order(id) of another buyer is FORBIDDEN; an unknown id is null', async () => {
    const a = await product('A');
    const [id] = await placeMany(alan, 1, a.id);
    expect(codes(await run('query($id: ID!) { order(id: $id) { id } }', { id }, ada))).toEqual(['FORBIDDEN']);
    expect((await run('query($id: ID!) { order(id: $id) { id } }', { id: randomUUID() }, ada)).data.order).toBeNull();
  });

  it('filters by status', async () => {
    const a = await product('A', 100);
    const [first] = await placeMany(ada, 3, a.id);
    await run(CANCEL, { id: first }, ada);
    expect((await run(ORDERS, { status: 'PENDING' }, ada)).data.orders.totalCount).toBe(2);
    expect((await run(ORDERS, { status: 'CANCELLED' }, ada)).data.orders.nodes.map((n: any) => n.id)).toEqual([first]);
  });

  it('User.orders for many users costs one statement for the pages and one for the counts', async () => {
    const a = await product('A', 100);
    const buyers = Array.from({ length: 5 }, () => customer());
    for (const buyer of buyers) await placeMany(buyer, 3, a.id);
    const before = orders.stats.statements;
    const result = await run(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id orders(first: 2) { totalCount nodes { id items { quantity } } } } } }',
      { r: buyers.map((b) => ({ __typename: 'User', id: (b as { userId: string }).userId })) },
      boss,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities.map((u: any) => [u.orders.totalCount, u.orders.nodes.length])).toEqual(buyers.map(() => [3, 2]));
    expect(orders.stats.statements - before).toBe(3); // pages, counts, items
  });
});
