// The benchmark's baseline: the canonical order query answered by ONE GraphQL server (the
// same Apollo Server 5 and HTTP layer the services run, but no gateway and no HTTP between
// services) that reads the three subgraphs' databases directly, through the same Prisma
// clients and the same kind of per-request DataLoaders: the four SQL statements a
// federated request also needs. It checks the caller's JWT like the services do.
// BASELINE_WORKERS > 1 runs that many cluster workers behind one port (PostgreSQL only:
// PGlite is one process per folder).
import cluster from 'node:cluster';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import DataLoader from 'dataloader';
import { bearerToken, createTokens } from '../platform/auth.js';
import { envInt, readPlatformConfig } from '../platform/config.js';
import { openDatabase } from '../platform/database.js';
import { unauthenticated } from '../platform/errors.js';
import { serveHttp, stringifyResult } from '../platform/http.js';
import { createLogger } from '../platform/logger.js';
import { createMetrics } from '../platform/metrics.js';
import { requestLogPlugin } from '../platform/requestLog.js';
import { loaderById } from '../platform/loaders.js';
import { PrismaClient as InventoryPrisma, type Product } from '../subgraphs/inventory/generated/prisma/client.js';
import { PrismaClient as OrdersPrisma, type OrderItem } from '../subgraphs/orders/generated/prisma/client.js';
import { PrismaClient as UsersPrisma } from '../subgraphs/users/generated/prisma/client.js';

const port = envInt(process.env, 'BASELINE_PORT', 4100, { max: 65535 });
const workers = envInt(process.env, 'BASELINE_WORKERS', 1, { min: 1, max: 64 });

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  await serve();
}

async function serve() {
  const dataDir = process.env.DATA_DIR;
  const open = (name: string) =>
    openDatabase({ url: process.env[`${name.toUpperCase()}_DATABASE_URL`], dataDir: dataDir && path.join(dataDir, name), poolSize: 10 });
  const [usersDb, inventoryDb, ordersDb] = await Promise.all([open('users'), open('inventory'), open('orders')]);
  const users = new UsersPrisma({ adapter: usersDb.adapter });
  const inventory = new InventoryPrisma({ adapter: inventoryDb.adapter });
  const orders = new OrdersPrisma({ adapter: ordersDb.adapter });
  const tokens = createTokens(readPlatformConfig(), null);
  // Like each service: a JSON log line and the request metrics for every request.
  const log = createLogger('baseline');

  interface Context {
    user: DataLoader<string, unknown>;
    product: DataLoader<string, Product | null>;
    items: DataLoader<string, OrderItem[]>;
  }
  const apollo = new ApolloServer<Context>({
    typeDefs: `#graphql
      type Query { orders(first: Int = 20): OrderConnection! }
      type OrderConnection { nodes: [Order!]! }
      type Order { id: ID! status: String! totalCents: Int! user: User items: [OrderItem!]! }
      type OrderItem { quantity: Int! unitPriceCents: Int! product: Product }
      type User { id: ID! name: String! email: String! }
      type Product { id: ID! name: String! stock: Int! available: Int! }
    `,
    resolvers: {
      Query: {
        orders: async (_: unknown, { first }: { first: number }) => ({
          nodes: await orders.order.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: Math.min(first, 100) }),
        }),
      },
      Order: {
        user: (order: { userId: string }, _: unknown, context: Context) => context.user.load(order.userId),
        items: (order: { id: string }, _: unknown, context: Context) => context.items.load(order.id),
      },
      OrderItem: { product: (item: OrderItem, _: unknown, context: Context) => context.product.load(item.productId) },
      Product: { available: (product: Product) => product.stock - product.reserved },
    },
    // As in the services (platform/subgraph.ts): the comparison is of federation, not of plugins.
    plugins: [ApolloServerPluginCacheControlDisabled(), requestLogPlugin<Context>(log, createMetrics('baseline'))],
    stopOnTerminationSignals: false,
    stringifyResult,
  });
  await serveHttp<Context>(
    {
      apollo,
      log,
      ready: async () => true,
      async context({ request }) {
        const token = bearerToken(request.headers.authorization);
        const caller = token ? await tokens.verify(token) : null;
        if (caller?.kind !== 'user' || caller.role !== 'ADMIN') throw unauthenticated('admin only');
        return {
          user: loaderById((ids) => users.user.findMany({ where: { id: { in: ids } }, omit: { passwordHash: true } })),
          product: loaderById((ids) => inventory.product.findMany({ where: { id: { in: ids } } })),
          items: new DataLoader(async (orderIds) => {
            const rows = await orders.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: { position: 'asc' } });
            const byOrder = Map.groupBy(rows, (row) => row.orderId);
            return orderIds.map((id) => byOrder.get(id) ?? []);
          }),
        };
      },
    },
    port,
    '127.0.0.1',
  );
}
