// Builds the orders subgraph: it owns orders and their items, and asks inventory to
// hold and settle stock for them.
import { createTokens } from '../../platform/auth.js';
import { bootSubgraph, type SubgraphService } from '../../platform/bootstrap.js';
import type { Database } from '../../platform/database.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { createMetrics } from '../../platform/metrics.js';
import { fromRoot } from '../../platform/paths.js';
import { runPeriodically } from '../../platform/periodic.js';
import type { OrdersConfig } from './config.js';
import { confirmUnconfirmed } from './confirmations.js';
import { createContextFactory, type OrdersContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { httpPublisher, natsPublisher } from './eventPublishers.js';
import { createInventoryClient } from './inventoryClient.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';
import { resolvers } from './resolvers.js';
import { seedDemoOrders } from './seed.js';

export type OrdersService = SubgraphService<PrismaClient, OrdersContext> & { relay: OutboxRelay };

export async function createOrdersService(config: OrdersConfig, options: { database?: Database; log?: Logger } = {}): Promise<OrdersService> {
  const metrics = createMetrics('orders');
  const tokens = createTokens(config.platform, config.identity);
  const inventory = createInventoryClient({
    metrics,
    url: config.inventoryUrl,
    timeoutMs: config.inventoryTimeoutMs,
    tokens,
    resilience: config.inventoryBreaker,
  });
  const log = options.log ?? createLogger('orders', config.platform.logLevel);
  const { natsUrl, stream } = config.events;
  const relay = createOutboxRelay({
    publisher: natsUrl
      ? natsPublisher({ url: natsUrl, stream, timeoutMs: config.eventsTimeoutMs, log })
      : httpPublisher({ url: config.notificationsUrl, timeoutMs: config.eventsTimeoutMs, tokens }),
    settings: { intervalMs: config.outboxRelayMs, timeoutMs: config.eventsTimeoutMs, maxAttempts: config.outboxMaxAttempts, retryBaseMs: config.outboxRetryBaseMs },
    metrics,
  });
  const service = await bootSubgraph(
    {
      name: 'orders',
      schemaFile: fromRoot('subgraphs/orders/schema.graphql'),
      resolvers,
      createPrisma: (adapter) => new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] }),
      createContext: createContextFactory(inventory, relay),
      seed: config.seedDemoData ? seedDemoOrders : undefined,
      background(prisma, log) {
        const stopSweeper = runPeriodically('confirmation sweeper', config.confirmSweepMs, async () => {
          const settled = await confirmUnconfirmed({ prisma, inventory, relay, log });
          if (settled > 0) log.info({ orders: settled }, 'confirmed orders left unconfirmed');
        }, log);
        const stopRelay = relay.start(prisma, log);
        return async () => {
          await Promise.all([stopSweeper(), stopRelay()]);
        };
      },
    },
    config,
    { ...options, log, metrics },
  );
  return Object.assign(service, { relay });
}
