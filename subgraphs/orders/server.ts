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
import { expireStalePending } from './expiry.js';
import { PrismaClient } from './generated/prisma/client.js';
import { httpPublisher, natsPublisher } from './eventPublishers.js';
import { createInventoryClient } from './inventoryClient.js';
import { publishOrderChange } from './live.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';
import { resolvers } from './resolvers.js';
import { seedDemoOrders } from './seed.js';

export type OrdersService = SubgraphService<PrismaClient, OrdersContext> & {
  relay: OutboxRelay;
  /** One pass of the order sweeper now (it also runs every CONFIRM_SWEEP_MS). */
  sweep(): Promise<void>;
};

export async function createOrdersService(config: OrdersConfig, options: { database?: Database; log?: Logger } = {}): Promise<OrdersService> {
  const metrics = createMetrics('orders');
  const tokens = createTokens(config.platform, config.identity);
  const inventory = createInventoryClient({ metrics, url: config.inventoryUrl, tokens, resilience: config.inventoryBreaker });
  const log = options.log ?? createLogger('orders', config.platform.logLevel);
  const { natsUrl, stream } = config.events;
  const relay = createOutboxRelay({
    publisher: natsUrl
      ? natsPublisher({ url: natsUrl, stream, timeoutMs: config.eventsTimeoutMs, log })
      : httpPublisher({ url: config.notificationsUrl, timeoutMs: config.eventsTimeoutMs, tokens }),
    settings: { intervalMs: config.outboxRelayMs, timeoutMs: config.eventsTimeoutMs, maxAttempts: config.outboxMaxAttempts, retryBaseMs: config.outboxRetryBaseMs },
    metrics,
  });
  let sweep: () => Promise<void> = async () => {};
  const service = await bootSubgraph(
    {
      name: 'orders',
      schemaFile: fromRoot('subgraphs/orders/schema.graphql'),
      resolvers,
      tracedFields: ['Query.orders', 'Mutation.placeOrder', 'Mutation.cancelOrder', 'Mutation.completeOrder'],
      createPrisma: (adapter) => new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] }),
      createContext: createContextFactory(inventory, relay, config.pendingCaps),
      seed: config.seedDemoData ? seedDemoOrders : undefined,
      close: () => inventory.close(),
      background(prisma, log, { pubsub }) {
        // The order sweeper: reservations placeOrder could not confirm, then orders PENDING for too long.
        const live = { changed: (client: PrismaClient, orderId: string, logger: Logger) => publishOrderChange(pubsub, client, orderId, logger) };
        sweep = async () => {
          const settled = await confirmUnconfirmed({ prisma, inventory, relay, live, log });
          if (settled > 0) log.info({ orders: settled }, 'confirmed orders left unconfirmed');
          const expired = await expireStalePending({ prisma, inventory, relay, live, log }, config.pendingOrderTtlSeconds);
          if (expired > 0) log.info({ orders: expired, ttlSeconds: config.pendingOrderTtlSeconds }, 'cancelled PENDING orders past their TTL');
        };
        const stopSweeper = runPeriodically('order sweeper', config.confirmSweepMs, () => sweep(), log);
        const stopRelay = relay.start(prisma, log);
        return async () => {
          await Promise.all([stopSweeper(), stopRelay()]);
        };
      },
    },
    config,
    { ...options, log, metrics },
  );
  return Object.assign(service, { relay, sweep: () => sweep() });
}
