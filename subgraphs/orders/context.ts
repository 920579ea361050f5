import type { Metrics } from '../../platform/metrics.js';
import type { BaseContext } from '../../platform/subgraph.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { InventoryClient } from './inventoryClient.js';
import { createLoaders, type OrdersLoaders } from './loaders.js';
import type { OutboxRelay } from './relay.js';

export interface OrdersContext extends BaseContext {
  prisma: PrismaClient;
  inventory: InventoryClient;
  loaders: OrdersLoaders;
  relay: OutboxRelay;
}

export function createContextFactory(inventory: InventoryClient, relay: OutboxRelay) {
  return ({ prisma, metrics }: { prisma: PrismaClient; metrics: Metrics }) =>
    (base: BaseContext): OrdersContext => ({ ...base, prisma, inventory, relay, loaders: createLoaders(prisma, metrics) });
}
