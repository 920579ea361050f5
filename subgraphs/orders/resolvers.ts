import { canActFor, requireAdmin, requireUser } from '../../platform/authorization.js';
import { forbidden, notFound } from '../../platform/errors.js';
import { liveEvent } from '../../platform/liveQueue.js';
import { isUuid, requireUuid } from '../../platform/ids.js';
import { pageSize, toConnection } from '../../platform/pagination.js';
import { DateTime } from '../../platform/scalars.js';
import type { OrdersContext } from './context.js';
import type { Order } from './generated/prisma/client.js';
import type { Resolvers } from './generated/resolvers.js';
import * as lifecycle from './lifecycle.js';
import type { LiveOrder } from './live.js';
import { listOrders, orderCursor, orderWhere, readCursor } from './queries.js';

/** An order is visible to its buyer and admins; FORBIDDEN to anyone else (services included). */
async function loadVisibleOrder(context: OrdersContext, id: string): Promise<Order | null> {
  requireUser(context.caller);
  const order = isUuid(id) ? await context.loaders.orderById.load(id.toLowerCase()) : null;
  if (order && !canActFor(context.caller, order.userId)) throw forbidden('You can only see your own orders.');
  return order;
}

export const resolvers: Resolvers = {
  DateTime,

  Query: {
    order: (_parent, { id }, context) => loadVisibleOrder(context, id),

    async orders(_parent, args, context) {
      const caller = requireUser(context.caller);
      const userId = args.userId ? requireUuid(args.userId, 'userId') : caller.role === 'ADMIN' ? undefined : caller.userId;
      if (userId && !canActFor(caller, userId)) throw forbidden('You can only see your own orders.');
      const size = pageSize(args.first);
      const filter = { userId, status: args.status };
      const rows = await listOrders(context.prisma, filter, size + 1, readCursor(args.after));
      return toConnection(rows, size, orderCursor, () => context.prisma.order.count({ where: orderWhere(filter) }));
    },
  },

  Mutation: {
    placeOrder: (_parent, { input }, context) => lifecycle.placeOrder(context, requireUser(context.caller), input),
    cancelOrder: (_parent, { id }, context) => lifecycle.cancelOrder(context, requireUser(context.caller), id),
    completeOrder(_parent, { id }, context) {
      requireAdmin(context.caller);
      return lifecycle.completeOrder(context, id);
    },
  },

  Subscription: {
    orderUpdated: {
      // A customer watches their own orders (or one of them); an admin any order, or all.
      async subscribe(_parent, { id }, context) {
        const caller = requireUser(context.caller);
        let orderId: string | null = null;
        if (id != null) {
          orderId = requireUuid(id, 'id').toLowerCase();
          if (!(await loadVisibleOrder(context, orderId))) throw notFound('Order', id);
        }
        return context.live.watch(caller, orderId);
      },
      resolve: liveEvent<LiveOrder>,
    },
  },

  Order: {
    __resolveReference: (reference, context) => loadVisibleOrder(context, reference.id),
    user: (order) => ({ id: order.userId }),
    // A live event brings its items along: an event costs no statement here.
    items: (order, _args, { loaders }) =>
      'liveItems' in order ? order.liveItems : loaders.itemsByOrderId.load(order.id),
  },

  OrderItem: {
    product: (item) => ({ id: item.productId }),
    subtotalCents: (item) => item.unitPriceCents * item.quantity,
  },

  User: {
    // The users subgraph decides whether the user exists; here a user is just an id with orders.
    __resolveReference: (reference) => reference,
    async orders(user, args, context) {
      requireUser(context.caller);
      if (!canActFor(context.caller, user.id)) throw forbidden('You can only see your own orders.');
      const size = pageSize(args.first);
      if (!isUuid(user.id)) return toConnection([], size, orderCursor, async () => 0);
      const userId = user.id.toLowerCase();
      const status = args.status ?? null;
      const rows = await context.loaders.userOrders.load({ userId, take: size + 1, status, before: readCursor(args.after) });
      return toConnection(rows, size, orderCursor, () => context.loaders.userOrderCount.load({ userId, status }));
    },
  },
};
