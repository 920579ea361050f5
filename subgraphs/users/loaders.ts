// Per-request batching of user look-ups: one SQL statement however many users a request needs.
import type DataLoader from 'dataloader';
import { loaderById, observeBatches } from '../../platform/loaders.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PrismaClient, User } from './generated/prisma/client.js';

export interface UsersLoaders {
  userById: DataLoader<string, User | null>;
}

export function createLoaders(prisma: PrismaClient, metrics: Metrics): UsersLoaders {
  return {
    userById: loaderById((ids) => prisma.user.findMany({ where: { id: { in: ids } } }), observeBatches(metrics, 'userById')),
  };
}
