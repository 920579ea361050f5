import type { Metrics } from '../../platform/metrics.js';
import type { BaseContext } from '../../platform/subgraph.js';
import type { PendingCaps } from './config.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { InventoryClient } from './inventoryClient.js';
import { createLiveOrders, type LiveOrders } from './live.js';
import { createLoaders, type OrdersLoaders } from './loaders.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { OutboxRelay } from './relay.js';

export interface OrdersContext extends BaseContext {
  prisma: PrismaClient;
  inventory: InventoryClient;
  loaders: OrdersLoaders;
  relay: OutboxRelay;
  caps: PendingCaps;
  live: LiveOrders;
}

export function createContextFactory(inventory: InventoryClient, relay: OutboxRelay, caps: PendingCaps) {
  return ({ prisma, metrics, pubsub }: { prisma: PrismaClient; metrics: Metrics; pubsub: PubSub }) => {
    const live = createLiveOrders(pubsub, metrics);
    return (base: BaseContext): OrdersContext => ({ ...base, prisma, inventory, relay, caps, live, loaders: createLoaders(prisma, metrics) });
  };
}
