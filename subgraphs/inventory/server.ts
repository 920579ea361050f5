// Builds the inventory subgraph: it owns products, stock and reservations.
import { bootSubgraph, type SubgraphService } from '../../platform/bootstrap.js';
import type { Database } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import { runPeriodically } from '../../platform/periodic.js';
import type { InventoryConfig } from './config.js';
import { createContextFactory, type InventoryContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { resolvers } from './resolvers.js';
import { releaseExpired } from './reservations.js';
import type { LiveProducts } from './live.js';
import { seedDemoInventory } from './seed.js';

export type InventoryService = SubgraphService<PrismaClient, InventoryContext>;

export function createInventoryService(config: InventoryConfig, options: { database?: Database; log?: Logger } = {}): Promise<InventoryService> {
  let live: LiveProducts | undefined;
  return bootSubgraph(
    {
      name: 'inventory',
      schemaFile: fromRoot('subgraphs/inventory/schema.graphql'),
      resolvers,
      tracedFields: ['Query.products', 'Mutation.reserveStock', 'Mutation.confirmReservation', 'Mutation.releaseReservation', 'Mutation.commitReservation'],
      createPrisma: (adapter) => new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] }),
      createContext: createContextFactory({ ttlSeconds: config.reservationTtlSeconds, maxWaitMs: config.reservationMaxWaitMs }, (made) => (live = made)),
      seed: config.seedDemoData ? seedDemoInventory : undefined,
      background: (prisma, log) =>
        runPeriodically('reservation sweeper', config.reservationSweepMs, async () => {
          const released = await releaseExpired(prisma, new Date(), (ids) => live?.changed(ids));
          if (released > 0) log.warn({ orders: released }, 'released expired reservations');
        }, log),
    },
    config,
    options,
  );
}
