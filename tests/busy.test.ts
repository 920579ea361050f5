// A burst larger than inventory can serve at once: reservations that cannot get a
// database connection in time answer "busy" (a clear, retryable code), reserve nothing,
// and do not trip the orders service's circuit to inventory. PostgreSQL only: the
// connection pool is what runs out; the embedded PGlite queues in-process instead.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { customer, execute } from './support/execute.js';
import { expectStockInvariant } from './support/invariants.js';
import { onPostgres } from './support/databases.js';
import { bootInventory, bootOrders } from './support/services.js';

let inventory: InventoryService;
let orders: OrdersService;

const suite = onPostgres ? describe : describe.skip;

suite('a burst of orders inventory cannot take at once', () => {
  beforeAll(async () => {
    // A 1 ms wait for a connection: any queue at all makes some reservations busy.
    inventory = await bootInventory({ env: { RESERVATION_MAX_WAIT_MS: '1' } });
    const server = await inventory.listen(0, '127.0.0.1');
    orders = await bootOrders({ inventoryUrl: server.url, env: { BREAKER_THRESHOLD: '3' } });
  });
  afterAll(async () => {
    await orders?.stop();
    await inventory?.stop();
  });

  it('answers some buyers busy, reserves nothing for them, and keeps the circuit closed', async () => {
    const item = await inventory.prisma.product.create({ data: { sku: 'BURST', name: 'Burst', priceCents: 100, stock: 1000 } });
    const place = () =>
      execute(orders.server, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: item.id, quantity: 1 }] } }, customer());
    const results = await Promise.all(Array.from({ length: 40 }, place));
    const placed = results.filter((r) => r.data?.placeOrder);
    const busy = results.filter((r) => r.errors?.[0]?.extensions?.reason === 'busy');
    expect(busy.length).toBeGreaterThan(3); // more than BREAKER_THRESHOLD
    expect(placed.length + busy.length).toBe(40);
    for (const answer of busy) expect(answer.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory' });
    expect((await inventory.prisma.product.findUniqueOrThrow({ where: { id: item.id } })).reserved).toBe(placed.length);
    await expectStockInvariant(inventory, orders);
    // More than 3 busy answers, yet the circuit is closed: later orders reach inventory
    // (an open circuit would answer without the busy reason) and one goes through. With a
    // 1 ms wait even a lone order can be busy on a loaded machine, hence a few tries.
    let next = await place();
    for (let tries = 1; !next.data?.placeOrder && tries < 20; tries++) {
      expect(next.errors?.[0]?.extensions?.reason).toBe('busy');
      await new Promise((resolve) => setTimeout(resolve, 50));
      next = await place();
    }
    expect(next.data?.placeOrder).toBeDefined();
  });
});
