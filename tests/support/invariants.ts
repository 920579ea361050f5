// The stock invariant across the two databases: for every product, reserved equals the
// units held by PENDING orders, and neither stock nor reserved is ever negative.
import { expect } from '@jest/globals';
import type { InventoryService } from '../../subgraphs/inventory/server.js';
import type { OrdersService } from '../../subgraphs/orders/server.js';

export async function expectStockInvariant(inventory: InventoryService, orders: OrdersService): Promise<void> {
  const pending = await orders.prisma.orderItem.groupBy({ by: ['productId'], where: { order: { status: 'PENDING' } }, _sum: { quantity: true } });
  const held = new Map(pending.map((row) => [row.productId, row._sum.quantity ?? 0]));
  const products = await inventory.prisma.product.findMany({ select: { id: true, stock: true, reserved: true } });
  for (const product of products) {
    expect({ id: product.id, reserved: product.reserved }).toEqual({ id: product.id, reserved: held.get(product.id) ?? 0 });
    expect(product.stock).toBeGreaterThanOrEqual(0);
    expect(product.reserved).toBeGreaterThanOrEqual(0);
  }
}
