// Builds the orders subgraph: it owns orders and their items, and asks inventory to
// hold and settle stock for them.
import { createTokens } from '../../platform/auth.js';
import { bootSubgraph, type SubgraphService } from '../../platform/bootstrap.js';
import type { Database } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { createMetrics } from '../../platform/metrics.js';
import { fromRoot } from '../../platform/paths.js';
import { runPeriodically } from '../../platform/periodic.js';
import type { OrdersConfig } from './config.js';
import { confirmUnconfirmed } from './confirmations.js';
import { createContextFactory, type OrdersContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { createInventoryClient } from './inventoryClient.js';
import { resolvers } from './resolvers.js';
import { seedDemoOrders } from './seed.js';

export type OrdersService = SubgraphService<PrismaClient, OrdersContext>;

export function createOrdersService(config: OrdersConfig, options: { database?: Database; log?: Logger } = {}): Promise<OrdersService> {
  const metrics = createMetrics('orders');
  const inventory = createInventoryClient({
    metrics,
    url: config.inventoryUrl,
    timeoutMs: config.inventoryTimeoutMs,
    tokens: createTokens(config.platform),
    resilience: config.inventoryBreaker,
  });
  return bootSubgraph(
    {
      name: 'orders',
      schemaFile: fromRoot('subgraphs/orders/schema.graphql'),
      resolvers,
      createPrisma: (adapter) => new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] }),
      createContext: createContextFactory(inventory),
      seed: config.seedDemoData ? seedDemoOrders : undefined,
      background: (prisma, log) =>
        runPeriodically('confirmation sweeper', config.confirmSweepMs, async () => {
          const settled = await confirmUnconfirmed({ prisma, inventory, log });
          if (settled > 0) log.info({ orders: settled }, 'confirmed orders left unconfirmed');
        }, log),
    },
    config,
    { ...options, metrics },
  );
}
