// Races through the real gateway: concurrent buyers, concurrent retries. After every
// test the stock invariant must hold across both databases.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { expectStockInvariant } from './support/invariants.js';
import { startStack, type Stack } from './support/stack.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;

let stack: Stack;

beforeAll(async () => {
  // These races are about who wins, not how long a queue may wait for a row: on a loaded
  // machine the default 2 s wait would turn some losers into "busy" (tests/busy.test.ts).
  stack = await startStack({ env: { RESERVATION_MAX_WAIT_MS: '30000' } });
});
afterAll(() => stack.stop());
afterEach(() => expectStockInvariant(stack.inventory, stack.orders));

/** Customers with tokens, made directly (no password hashing: these tests are about orders). */
async function customers(count: number, tag: string): Promise<string[]> {
  const users = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      stack.users.prisma.user.create({ data: { email: `${tag}-${i}@example.com`, name: `${tag} ${i}`, passwordHash: 'x' } }),
    ),
  );
  return Promise.all(users.map((user) => stack.users.tokens.signUser({ id: user.id, role: user.role })));
}

async function product(sku: string, stock: number) {
  return stack.inventory.prisma.product.create({ data: { sku, name: sku, priceCents: 500, stock } });
}

describe('buyers racing for the last units', () => {
  it('50 buyers for 10 units: exactly 10 orders, every other buyer told OUT_OF_STOCK', async () => {
    const scarce = await product('SCARCE', 10);
    const tokens = await customers(50, 'racer');
    const results = await Promise.all(
      tokens.map((token) => stack.query(PLACE, { input: { items: [{ productId: scarce.id, quantity: 1 }] } }, { token })),
    );
    const won = results.filter((r) => r.data?.placeOrder?.status === 'PENDING');
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'OUT_OF_STOCK');
    expect(won).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: scarce.id } })).toMatchObject({ stock: 10, reserved: 10 });
    expect(await stack.orders.prisma.order.count({ where: { items: { some: { productId: scarce.id } } } })).toBe(10);
  });

  it('an order for a plentiful and a scarce product reserves neither when the scarce one runs out', async () => {
    const plenty = await product('PLENTY', 1000);
    const few = await product('FEW', 3);
    const tokens = await customers(8, 'pair');
    const results = await Promise.all(
      tokens.map((token) =>
        stack.query(PLACE, { input: { items: [{ productId: plenty.id, quantity: 2 }, { productId: few.id, quantity: 1 }] } }, { token }),
      ),
    );
    expect(results.filter((r) => r.data?.placeOrder)).toHaveLength(3);
    expect(await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: plenty.id } })).toMatchObject({ reserved: 6 });
  });
});

describe('retries', () => {
  it('the same idempotency key sent 20 times at once yields one order, reserved once', async () => {
    const item = await product('RETRIED', 100);
    const [token] = await customers(1, 'retrier');
    const input = { items: [{ productId: item.id, quantity: 3 }], idempotencyKey: 'checkout-7f3a' };
    const results = await Promise.all(Array.from({ length: 20 }, () => stack.query(PLACE, { input }, { token })));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    expect(new Set(results.map((r) => r.data.placeOrder.id)).size).toBe(1);
    expect(await stack.orders.prisma.order.count({ where: { idempotencyKey: 'checkout-7f3a' } })).toBe(1);
    expect(await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ reserved: 3 });
  });

  it('the same key sent 20 times at once for the last units still yields one order and no refusals', async () => {
    const last = await product('LAST', 3);
    const [token] = await customers(1, 'last');
    const input = { items: [{ productId: last.id, quantity: 3 }], idempotencyKey: 'the-last-three' };
    const results = await Promise.all(Array.from({ length: 20 }, () => stack.query(PLACE, { input }, { token })));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(new Set(results.map((r) => r.data.placeOrder.id)).size).toBe(1);
  });

  it('cancel and complete racing for one order: exactly one wins, and the stock follows it', async () => {
    const item = await product('CONTESTED', 10);
    const [token] = await customers(1, 'contest');
    const admin = await stack.adminToken();
    const { id } = (await stack.query(PLACE, { input: { items: [{ productId: item.id, quantity: 4 }] } }, { token })).data.placeOrder;
    const [cancel, complete] = await Promise.all([
      stack.query('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id }, { token }),
      stack.query('mutation($id: ID!) { completeOrder(id: $id) { status } }', { id }, { token: admin }),
    ]);
    const winners = [cancel.data?.cancelOrder, complete.data?.completeOrder].filter(Boolean);
    expect(winners).toHaveLength(1);
    const final = await stack.orders.prisma.order.findUniqueOrThrow({ where: { id } });
    const levels = await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: item.id } });
    if (final.status === 'CANCELLED') expect(levels).toMatchObject({ stock: 10, reserved: 0 });
    else expect(levels).toMatchObject({ stock: 6, reserved: 0 });
  });
});
