import type { BaseContext } from '../../platform/subgraph.js';
import type { Tokens } from '../../platform/auth.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createLoaders, type UsersLoaders } from './loaders.js';

export interface UsersContext extends BaseContext {
  prisma: PrismaClient;
  tokens: Tokens;
  loaders: UsersLoaders;
}

export function createContextFactory({ prisma, tokens, metrics }: { prisma: PrismaClient; tokens: Tokens; metrics: Metrics }) {
  return (base: BaseContext): UsersContext => ({ ...base, prisma, tokens, loaders: createLoaders(prisma, metrics) });
}
