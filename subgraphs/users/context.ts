import type { BaseContext } from '../../platform/subgraph.js';
import type { Tokens } from '../../platform/auth.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Limit } from '../../platform/rateLimit.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createKdfQueue, type KdfQueue, type KdfSettings } from './kdfQueue.js';
import { createLoaders, type UsersLoaders } from './loaders.js';

export interface UsersContext extends BaseContext {
  prisma: PrismaClient;
  tokens: Tokens;
  loaders: UsersLoaders;
  /** Sign-in attempts per account (by email); null when throttling is off. */
  loginAttempts: Limit | null;
  /** Where every password hash waits its turn; one per process. */
  passwordHashing: KdfQueue;
}

export function createContextFactory(loginAttempts: Limit | null, passwordHashingSettings: KdfSettings) {
  return ({ prisma, tokens, metrics }: { prisma: PrismaClient; tokens: Tokens; metrics: Metrics }) => {
    const passwordHashing = createKdfQueue(passwordHashingSettings, metrics);
    return (base: BaseContext): UsersContext => ({ ...base, prisma, tokens, loginAttempts, passwordHashing, loaders: createLoaders(prisma, metrics) });
  };
}
