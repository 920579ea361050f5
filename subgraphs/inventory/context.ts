import type { Metrics } from '../../platform/metrics.js';
import type { BaseContext } from '../../platform/subgraph.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createLoaders, type InventoryLoaders } from './loaders.js';
import type { ReservationSettings } from './reservations.js';

export interface InventoryContext extends BaseContext {
  prisma: PrismaClient;
  loaders: InventoryLoaders;
  reservations: ReservationSettings;
}

export function createContextFactory(reservations: ReservationSettings) {
  return ({ prisma, metrics }: { prisma: PrismaClient; metrics: Metrics }) =>
    (base: BaseContext): InventoryContext => ({ ...base, prisma, loaders: createLoaders(prisma, metrics), reservations });
}
