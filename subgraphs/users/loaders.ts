// Per-request batching of user look-ups: one SQL statement however many users a request needs.
import type DataLoader from 'dataloader';
import { loaderById, observeBatches } from '../../platform/loaders.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PrismaClient, User } from './generated/prisma/client.js';

/** A user as resolvers see it: the password hash is read only where a password is checked. */
export type PublicUser = Omit<User, 'passwordHash'>;

export interface UsersLoaders {
  userById: DataLoader<string, PublicUser | null>;
}

export function createLoaders(prisma: PrismaClient, metrics: Metrics): UsersLoaders {
  return {
    userById: loaderById((ids) => prisma.user.findMany({ where: { id: { in: ids } }, omit: { passwordHash: true } }), observeBatches(metrics, 'userById')),
  };
}
