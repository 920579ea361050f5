import type { Metrics } from '../../platform/metrics.js';
import type { BaseContext } from '../../platform/subgraph.js';
import type { PendingCaps } from './config.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { InventoryClient } from './inventoryClient.js';
import { createLoaders, type OrdersLoaders } from './loaders.js';
import type { OutboxRelay } from './relay.js';

export interface OrdersContext extends BaseContext {
  prisma: PrismaClient;
  inventory: InventoryClient;
  loaders: OrdersLoaders;
  relay: OutboxRelay;
  caps: PendingCaps;
}

export function createContextFactory(inventory: InventoryClient, relay: OutboxRelay, caps: PendingCaps) {
  return ({ prisma, metrics }: { prisma: PrismaClient; metrics: Metrics }) =>
    (base: BaseContext): OrdersContext => ({ ...base, prisma, inventory, relay, caps, loaders: createLoaders(prisma, metrics) });
}
