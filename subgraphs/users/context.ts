import type { BaseContext } from '../../platform/subgraph.js';
import type { Tokens } from '../../platform/auth.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Limit } from '../../platform/rateLimit.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createLoaders, type UsersLoaders } from './loaders.js';

export interface UsersContext extends BaseContext {
  prisma: PrismaClient;
  tokens: Tokens;
  loaders: UsersLoaders;
  /** Sign-in attempts per account (by email); null when throttling is off. */
  loginAttempts: Limit | null;
}

export function createContextFactory(loginAttempts: Limit | null) {
  return ({ prisma, tokens, metrics }: { prisma: PrismaClient; tokens: Tokens; metrics: Metrics }) =>
    (base: BaseContext): UsersContext => ({ ...base, prisma, tokens, loginAttempts, loaders: createLoaders(prisma, metrics) });
}
