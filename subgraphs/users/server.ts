// Builds the users subgraph: it owns accounts, passwords and sign-in.
import { bootSubgraph, type SubgraphService } from '../../platform/bootstrap.js';
import type { Database } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import { createRateLimitStore } from '../../platform/rateLimit.js';
import { LOGIN_WINDOW_SECONDS, type UsersConfig } from './config.js';
import { createContextFactory, type UsersContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { resolvers } from './resolvers.js';
import { seedAdmin, seedDemoUsers } from './seed.js';

export type UsersService = SubgraphService<PrismaClient, UsersContext>;

export async function createUsersService(config: UsersConfig, options: { database?: Database; log?: Logger } = {}): Promise<UsersService> {
  const limits = createRateLimitStore({ redisUrl: config.platform.redisUrl, keyPrefix: config.platform.redisKeyPrefix });
  await limits.connected();
  const loginAttempts = config.loginAttemptsPerAccount > 0 ? limits.limit('login-account', config.loginAttemptsPerAccount, LOGIN_WINDOW_SECONDS) : null;
  return bootSubgraph(
    {
      name: 'users',
      schemaFile: fromRoot('subgraphs/users/schema.graphql'),
      resolvers,
      tracedFields: ['Mutation.signUp', 'Mutation.logIn', 'Query.users'],
      createPrisma: (adapter) => new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] }),
      createContext: createContextFactory(loginAttempts, config.passwordHashing),
      async seed(prisma, log) {
        await seedAdmin(prisma, { email: config.adminEmail, password: config.adminPassword, promoteExisting: config.adminPromoteExisting }, log);
        if (config.seedDemoData) await seedDemoUsers(prisma, log);
      },
      close: () => limits.close(),
    },
    config,
    options,
  );
}
