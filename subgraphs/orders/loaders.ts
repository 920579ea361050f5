// Per-request batching: the items of every order on a page in one statement, every
// order the gateway asks for in one statement, and each user's orders page for many
// users in one statement.
import DataLoader from 'dataloader';
import { loaderById, observeBatches, pagesLoader } from '../../platform/loaders.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Order, OrderItem, OrderStatus, PrismaClient } from './generated/prisma/client.js';
import { ordersOfUsers, type UserOrdersPage } from './queries.js';

export interface OrdersLoaders {
  orderById: DataLoader<string, Order | null>;
  itemsByOrderId: DataLoader<string, OrderItem[]>;
  /** Key: one user's page; pages asked with the same arguments share one query. */
  userOrders: DataLoader<UserOrdersPage, Order[], string>;
  userOrderCount: DataLoader<{ userId: string; status: OrderStatus | null }, number, string>;
}

export function createLoaders(prisma: PrismaClient, metrics: Metrics): OrdersLoaders {
  return {
    orderById: loaderById((ids) => prisma.order.findMany({ where: { id: { in: ids } } }), observeBatches(metrics, 'orderById')),

    itemsByOrderId: new DataLoader(async (orderIds) => {
      observeBatches(metrics, 'itemsByOrderId')(orderIds.length);
      const items = await prisma.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: { position: 'asc' } });
      const byOrder = Map.groupBy(items, (item) => item.orderId);
      return orderIds.map((id) => byOrder.get(id) ?? []);
    }),

    userOrders: pagesLoader<UserOrdersPage, Order>(
      (userIds, { take, status, before }) => ordersOfUsers(prisma, { userIds, take, status, before }),
      observeBatches(metrics, 'userOrders'),
    ),

    userOrderCount: new DataLoader(
      async (keys) => {
        const groups = Map.groupBy(keys, (key) => key.status ?? '');
        const counts = new Map<string, number>();
        for (const [status, group] of groups) {
          const rows = await prisma.order.groupBy({
            by: ['userId'],
            where: { userId: { in: group.map((key) => key.userId) }, ...(status ? { status: status as OrderStatus } : {}) },
            _count: { _all: true },
          });
          for (const row of rows) counts.set(`${row.userId}:${status}`, row._count._all);
        }
        return keys.map((key) => counts.get(`${key.userId}:${key.status ?? ''}`) ?? 0);
      },
      { cacheKeyFn: (key) => `${key.userId}:${key.status ?? ''}` },
    ),
  };
}
