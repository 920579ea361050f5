import type { Metrics } from '../../platform/metrics.js';
import type { BaseContext } from '../../platform/subgraph.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createLoaders, type InventoryLoaders } from './loaders.js';
import type { ReservationSettings } from './reservations.js';
import { createLiveProducts, type LiveProducts } from './live.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { Logger } from '../../platform/logger.js';

export interface InventoryContext extends BaseContext {
  prisma: PrismaClient;
  loaders: InventoryLoaders;
  reservations: ReservationSettings;
  live: LiveProducts;
}

/** `onLive` receives the live products once they exist, for work outside requests (the sweeper). */
export function createContextFactory(reservations: ReservationSettings, onLive: (live: LiveProducts) => void = () => {}) {
  return ({ prisma, metrics, pubsub, log }: { prisma: PrismaClient; metrics: Metrics; pubsub: PubSub; log: Logger }) => {
    const live = createLiveProducts(pubsub, prisma, metrics, log);
    onLive(live);
    return (base: BaseContext): InventoryContext => ({ ...base, prisma, loaders: createLoaders(prisma, metrics), reservations, live });
  };
}
