// The canonical cross-subgraph query through the real gateway: its SQL cost per subgraph
// must not grow with the page size, because every entity and relation goes through a
// per-request DataLoader.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type Stack } from './support/stack.js';

const CANONICAL = `query Canonical($first: Int) {
  orders(first: $first) { nodes { id status totalCents user { id name email } items { quantity unitPriceCents product { id name stock available } } } }
}`;

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = await stack.adminToken();
  // 10 customers, 30 products, 50 orders of 3 items each.
  const users = await Promise.all(
    Array.from({ length: 10 }, (_, i) => stack.users.prisma.user.create({ data: { email: `c${i}@example.com`, name: `Customer ${i}`, passwordHash: 'x' } })),
  );
  const products = await Promise.all(
    Array.from({ length: 30 }, (_, i) => stack.inventory.prisma.product.create({ data: { sku: `SKU-${i}`, name: `Product ${i}`, priceCents: 100 + i, stock: 1000 } })),
  );
  for (let i = 0; i < 50; i++) {
    const items = [0, 1, 2].map((k) => ({ productId: products[(i + k * 7) % 30]!.id, quantity: k + 1, unitPriceCents: 100, position: k }));
    await stack.orders.prisma.order.create({
      data: { id: randomUUID(), userId: users[i % 10]!.id, totalCents: 600, createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)), items: { create: items } },
    });
  }
});
afterAll(() => stack.stop());

async function measure(first: number) {
  const before = stack.statements();
  const result = await stack.query(CANONICAL, { first }, { token });
  const after = stack.statements();
  expect(result.errors).toBeUndefined();
  expect(result.data.orders.nodes).toHaveLength(first);
  for (const order of result.data.orders.nodes) {
    expect(order.user.name).toMatch(/^Customer \d$/);
    expect(order.items).toHaveLength(3);
    for (const item of order.items) expect(item.product.stock).toBe(1000);
  }
  return { users: after.users - before.users, inventory: after.inventory - before.inventory, orders: after.orders - before.orders };
}

describe('the canonical query through the gateway', () => {
  it('costs one statement per entity type per subgraph: the same for 5 and for 50 orders', async () => {
    const five = await measure(5);
    const fifty = await measure(50);
    expect(five).toEqual({ orders: 2, users: 1, inventory: 1 });
    expect(fifty).toEqual(five);
  });
});
