// Several instances of inventory and of orders sharing one PostgreSQL database each (how
// they scale out): the guarantees must come from the database, not from a process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readInventoryConfig } from '../subgraphs/inventory/config.js';
import { createInventoryService, type InventoryService } from '../subgraphs/inventory/server.js';
import { readOrdersConfig } from '../subgraphs/orders/config.js';
import { createOrdersService, type OrdersService } from '../subgraphs/orders/server.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.js';
import { customer, execute } from './support/execute.js';
import { expectStockInvariant } from './support/invariants.js';
import { TEST_ENV } from './support/services.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;

let databases: TestDatabase[];
let inventories: InventoryService[];
let orderServices: OrdersService[];

(onPostgres ? describe : describe.skip)('two inventory and two orders instances on shared PostgreSQL databases', () => {
  beforeAll(async () => {
    const [inventoryDb, ordersDb] = (databases = await Promise.all([createTestDatabase('inventory_shared'), createTestDatabase('orders_shared')]));
    // These races are about who wins, not how long a queue may wait for a row: on a loaded
    // machine the default 2 s wait would turn some losers into "busy" (tests/busy.test.ts).
    const env = { ...TEST_ENV, RESERVATION_MAX_WAIT_MS: '30000' };
    inventories = await Promise.all([0, 1].map(async () => createInventoryService(readInventoryConfig(env), { database: await inventoryDb!.open() })));
    const urls = await Promise.all(inventories.map(async (inventory) => (await inventory.listen(0, '127.0.0.1')).url));
    orderServices = await Promise.all(
      urls.map(async (url) => createOrdersService(readOrdersConfig({ ...TEST_ENV, INVENTORY_URL: url }), { database: await ordersDb!.open() })),
    );
  });
  afterAll(async () => {
    await Promise.all([...orderServices, ...inventories].map((service) => service.stop()));
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('40 buyers spread over both instances for 10 units: exactly 10 orders', async () => {
    const scarce = await inventories[0]!.prisma.product.create({ data: { sku: 'SHARED', name: 'Shared', priceCents: 100, stock: 10 } });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        execute(orderServices[i % 2]!.server, PLACE, { input: { items: [{ productId: scarce.id, quantity: 1 }] } }, customer()),
      ),
    );
    expect(results.filter((r) => r.data?.placeOrder)).toHaveLength(10);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'OUT_OF_STOCK')).toHaveLength(30);
    await expectStockInvariant(inventories[1]!, orderServices[1]!);
  });

  it('one idempotency key sent 10 times to each instance at once: one order, stock held once', async () => {
    const item = await inventories[1]!.prisma.product.create({ data: { sku: 'SHARED-KEY', name: 'Shared key', priceCents: 100, stock: 50 } });
    const buyer = customer();
    const input = { items: [{ productId: item.id, quantity: 5 }], idempotencyKey: 'spread-over-instances' };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => execute(orderServices[i % 2]!.server, PLACE, { input }, buyer)));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(new Set(results.map((r) => r.data!.placeOrder.id)).size).toBe(1);
    expect((await inventories[0]!.prisma.product.findUniqueOrThrow({ where: { id: item.id } })).reserved).toBe(5);
    await expectStockInvariant(inventories[0]!, orderServices[0]!);
  });
});
