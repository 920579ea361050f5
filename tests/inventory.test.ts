import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import { admin, codes, customer, execute, service, truncateAll } from './support/execute.js';
import { releaseExpired } from '../subgraphs/inventory/reservations.js';
import { bootInventory } from './support/services.js';

const CREATE = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id sku name priceCents stock reserved available } }`;
const PRODUCTS = `query Products($first: Int, $after: String, $search: String) {
  products(first: $first, after: $after, search: $search) { totalCount edges { cursor node { sku name } } pageInfo { hasNextPage endCursor } }
}`;
const RESERVE = `mutation Reserve($orderId: ID!, $lines: [ReservationLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) { productId quantity unitPriceCents } }`;
const RELEASE = 'mutation Release($orderId: ID!) { releaseReservation(orderId: $orderId) }';
const COMMIT = 'mutation Commit($orderId: ID!) { commitReservation(orderId: $orderId) }';

let inventory: InventoryService;
const run = (query: string, variables?: Record<string, unknown>, caller?: Parameters<typeof execute>[3]) =>
  execute(inventory.server, query, variables, caller);
const asOrders = service('orders');

async function product(sku: string, stock = 10, priceCents = 1000, name = sku) {
  return inventory.prisma.product.create({ data: { sku, name, priceCents, stock } });
}
const levels = async (id: string) => {
  const { stock, reserved } = await inventory.prisma.product.findUniqueOrThrow({ where: { id } });
  return { stock, reserved };
};

beforeAll(async () => {
  inventory = await bootInventory();
});
afterAll(() => inventory.stop());
beforeEach(() => truncateAll(inventory.database));

describe('the catalogue', () => {
  it('pages through every product by name exactly once', async () => {
    for (let i = 0; i < 25; i++) await product(`SKU-${i}`, 1, 100, `Product ${String(i).padStart(2, '0')}`);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const result: any = await run(PRODUCTS, { first: 10, after });
      const page = result.data.products;
      expect(page.totalCount).toBe(25);
      seen.push(...page.edges.map((edge: any) => edge.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `Product ${String(i).padStart(2, '0')}`));
  });

  it('searches name and sku without regard to case', async () => {
    await product('KB-1', 1, 100, 'Mechanical Keyboard');
    await product('MOUSE-1', 1, 100, 'Wireless Mouse');
    await product('XKB-2', 1, 100, 'Something else');
    const result = await run(PRODUCTS, { search: 'kb' });
    expect(result.data.products.edges.map((e: any) => e.node.sku).sort()).toEqual(['KB-1', 'XKB-2']);
    expect((await run(PRODUCTS, { search: 'KEYBOARD' })).data.products.totalCount).toBe(1);
    expect((await run(PRODUCTS, { search: '%' })).data.products.totalCount).toBe(0);
  });

  it.each([
    ['a page over 100', { first: 101 }],
    ['a negative page', { first: -1 }],
    ['a cursor it did not give out', { after: 'garbage' }],
  ])('refuses %s with BAD_USER_INPUT', async (_case, variables) => {
    expect(codes(await run(PRODUCTS, variables))).toEqual(['BAD_USER_INPUT']);
  });

  it('computes available and inStock from stock and reserved', async () => {
    const p = await product('P', 10);
    await inventory.prisma.product.update({ where: { id: p.id }, data: { reserved: 7 } });
    const result = await run('query($id: ID!) { product(id: $id) { available one: inStock three: inStock(quantity: 3) four: inStock(quantity: 4) } }', { id: p.id });
    expect(result.data.product).toEqual({ available: 3, one: true, three: true, four: false });
  });

  it('answers null for an unknown or malformed product id', async () => {
    expect((await run('query($id: ID!) { product(id: $id) { id } }', { id: randomUUID() })).data.product).toBeNull();
    expect((await run('query($id: ID!) { product(id: $id) { id } }', { id: "1' OR '1'='1" })).data.product).toBeNull();
  });
});

describe('the admin product mutations', () => {
  const input = { sku: 'NEW-1', name: 'New thing', priceCents: 1999, stock: 5 };

  it('an admin creates, updates, restocks and deletes a product', async () => {
    const created = (await run(CREATE, { input }, admin())).data.createProduct;
    expect(created).toMatchObject({ ...input, reserved: 0, available: 5 });
    const updated = await run('mutation($id: ID!) { updateProduct(id: $id, input: { name: "Renamed", priceCents: 2500 }) { name priceCents sku } }', { id: created.id }, admin());
    expect(updated.data.updateProduct).toEqual({ name: 'Renamed', priceCents: 2500, sku: 'NEW-1' });
    const restocked = await run('mutation($id: ID!) { restock(productId: $id, quantity: 7) { stock available } }', { id: created.id }, admin());
    expect(restocked.data.restock).toEqual({ stock: 12, available: 12 });
    expect((await run('mutation($id: ID!) { deleteProduct(id: $id) }', { id: created.id }, admin())).data.deleteProduct).toBe(true);
    expect((await run('query($id: ID!) { product(id: $id) { id } }', { id: created.id })).data.product).toBeNull();
    expect((await run(PRODUCTS, {})).data.products.totalCount).toBe(0);
  });

  it('refuses customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)', async () => {
    expect(codes(await run(CREATE, { input }, customer()))).toEqual(['FORBIDDEN']);
    expect(codes(await run(CREATE, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(await inventory.prisma.product.count()).toBe(0);
  });

  it.each([
    ['a negative price', { priceCents: -1 }],
    ['a negative stock', { stock: -5 }],
    ['an empty name', { name: '' }],
    ['a sku with spaces', { sku: 'A B' }],
    ['an absurd price', { priceCents: 2_000_000_000 }],
  ])('refuses %s with BAD_USER_INPUT', async (_case, change) => {
    expect(codes(await run(CREATE, { input: { ...input, ...change } }, admin()))).toEqual(['BAD_USER_INPUT']);
    expect(await inventory.prisma.product.count()).toBe(0);
  });

  it('refuses a duplicate sku with CONFLICT', async () => {
    await run(CREATE, { input }, admin());
    expect(codes(await run(CREATE, { input: { ...input, name: 'Other' } }, admin()))).toEqual(['CONFLICT']);
  });

  it('refuses a restock of zero or less, and an unknown product with NOT_FOUND', async () => {
    const p = await product('P');
    expect(codes(await run('mutation($id: ID!) { restock(productId: $id, quantity: 0) { stock } }', { id: p.id }, admin()))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run('mutation($id: ID!) { restock(productId: $id, quantity: 1) { stock } }', { id: randomUUID() }, admin()))).toEqual(['NOT_FOUND']);
    expect(await levels(p.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it('refuses to delete a product while units are reserved: CONFLICT', async () => {
    const p = await product('P');
    await run(RESERVE, { orderId: randomUUID(), lines: [{ productId: p.id, quantity: 1 }] }, asOrders);
    expect(codes(await run('mutation($id: ID!) { deleteProduct(id: $id) }', { id: p.id }, admin()))).toEqual(['CONFLICT']);
  });
});

describe('reservations (the orders service only)', () => {
  it('refuses anyone but the orders service', async () => {
    const p = await product('P');
    const variables = { orderId: randomUUID(), lines: [{ productId: p.id, quantity: 1 }] };
    expect(codes(await run(RESERVE, variables, admin()))).toEqual(['FORBIDDEN']);
    expect(codes(await run(RESERVE, variables, service('users')))).toEqual(['FORBIDDEN']);
    expect(codes(await run(RESERVE, variables))).toEqual(['UNAUTHENTICATED']);
    expect(await levels(p.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it('reserves every line at current prices', async () => {
    const a = await product('A', 10, 250);
    const b = await product('B', 10, 1000);
    const result = await run(RESERVE, { orderId: randomUUID(), lines: [{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 3 }] }, asOrders);
    expect(result.data.reserveStock).toEqual(
      expect.arrayContaining([
        { productId: a.id, quantity: 2, unitPriceCents: 250 },
        { productId: b.id, quantity: 3, unitPriceCents: 1000 },
      ]),
    );
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 2 });
    expect(await levels(b.id)).toEqual({ stock: 10, reserved: 3 });
  });

  it('reserves nothing when one line cannot be met, and says what is available', async () => {
    const plenty = await product('PLENTY', 100);
    const few = await product('FEW', 2, 100, 'Rare thing');
    const result = await run(RESERVE, { orderId: randomUUID(), lines: [{ productId: plenty.id, quantity: 5 }, { productId: few.id, quantity: 3 }] }, asOrders);
    expect(codes(result)).toEqual(['OUT_OF_STOCK']);
    expect(result.errors![0]!.message).toContain('Rare thing');
    expect(result.errors![0]!.extensions).toMatchObject({ productId: few.id, available: 2, requested: 3 });
    expect(await levels(plenty.id)).toEqual({ stock: 100, reserved: 0 });
    expect(await inventory.prisma.reservation.count()).toBe(0);
  });

  it('answers NOT_FOUND for an unknown product and reserves nothing', async () => {
    const a = await product('A');
    const result = await run(RESERVE, { orderId: randomUUID(), lines: [{ productId: a.id, quantity: 1 }, { productId: randomUUID(), quantity: 1 }] }, asOrders);
    expect(codes(result)).toEqual(['NOT_FOUND']);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it('treats a retry for the same order as the same reservation', async () => {
    const a = await product('A');
    const variables = { orderId: randomUUID(), lines: [{ productId: a.id, quantity: 4 }] };
    await run(RESERVE, variables, asOrders);
    const retry = await run(RESERVE, variables, asOrders);
    expect(retry.data.reserveStock).toEqual([{ productId: a.id, quantity: 4, unitPriceCents: 1000 }]);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 4 });
    const different = await run(RESERVE, { ...variables, lines: [{ productId: a.id, quantity: 5 }] }, asOrders);
    expect(codes(different)).toEqual(['CONFLICT']);
  });

  it('release gives the units back; commit sells them; each only once', async () => {
    const a = await product('A', 10);
    const kept = randomUUID();
    const dropped = randomUUID();
    await run(RESERVE, { orderId: kept, lines: [{ productId: a.id, quantity: 3 }] }, asOrders);
    await run(RESERVE, { orderId: dropped, lines: [{ productId: a.id, quantity: 2 }] }, asOrders);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 5 });

    expect((await run(RELEASE, { orderId: dropped }, asOrders)).data.releaseReservation).toBe('APPLIED');
    expect((await run(RELEASE, { orderId: dropped }, asOrders)).data.releaseReservation).toBe('ALREADY_DONE');
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 3 });

    expect((await run(COMMIT, { orderId: kept }, asOrders)).data.commitReservation).toBe('APPLIED');
    expect((await run(COMMIT, { orderId: kept }, asOrders)).data.commitReservation).toBe('ALREADY_DONE');
    expect(await levels(a.id)).toEqual({ stock: 7, reserved: 0 });

    expect(codes(await run(COMMIT, { orderId: dropped }, asOrders))).toEqual(['CONFLICT']);
    expect(codes(await run(RELEASE, { orderId: kept }, asOrders))).toEqual(['CONFLICT']);
    expect((await run(RELEASE, { orderId: randomUUID() }, asOrders)).data.releaseReservation).toBe('NONE');
  });

  it.each([
    ['no lines', []],
    ['a zero quantity', [{ quantity: 0 }]],
    ['a negative quantity', [{ quantity: -2 }]],
    ['a malformed product id', [{ productId: 'abc', quantity: 1 }]],
  ])('refuses %s with BAD_USER_INPUT', async (_case, lines) => {
    const a = await product('A');
    const result = await run(RESERVE, { orderId: randomUUID(), lines: lines.map((line) => ({ productId: a.id, ...line })) }, asOrders);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 0 });
  });
});

describe('reservation expiry', () => {
  const CONFIRM = 'mutation($orderId: ID!) { confirmReservation(orderId: $orderId) }';

  it('releases every unconfirmed reservation past its time, several orders of one product included', async () => {
    const a = await product('A', 10);
    const [first, second, confirmed] = [randomUUID(), randomUUID(), randomUUID()];
    for (const orderId of [first, second, confirmed]) {
      await run(RESERVE, { orderId, lines: [{ productId: a.id, quantity: 2 }] }, asOrders);
    }
    expect((await run(CONFIRM, { orderId: confirmed }, asOrders)).data.confirmReservation).toBe('APPLIED');
    expect(await releaseExpired(inventory.prisma, new Date())).toBe(0);
    expect(await releaseExpired(inventory.prisma, new Date(Date.now() + 3600_000))).toBe(2);
    expect(await levels(a.id)).toEqual({ stock: 10, reserved: 2 });
    expect((await run(CONFIRM, { orderId: confirmed }, asOrders)).data.confirmReservation).toBe('ALREADY_DONE');
    expect(codes(await run(CONFIRM, { orderId: first }, asOrders))).toEqual(['CONFLICT']);
  });
});

describe('Product entities for the gateway', () => {
  it('resolves 30 products, deleted ones included, with one SQL statement', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await product(`S-${i}`)).id);
    await inventory.prisma.product.update({ where: { id: ids[3]! }, data: { deletedAt: new Date() } });
    const before = inventory.stats.statements;
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id stock } } }', {
      r: ids.map((id) => ({ __typename: 'Product', id })),
    });
    expect(inventory.stats.statements - before).toBe(1);
    expect(result.data._entities.map((p: { id: string }) => p.id)).toEqual(ids);
  });
});
