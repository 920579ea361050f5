import { canActFor, requireAdmin, requireUser } from '../../platform/authorization.js';
import { forbidden } from '../../platform/errors.js';
import { isUuid, requireUuid } from '../../platform/ids.js';
import { pageSize, toConnection } from '../../platform/pagination.js';
import type { GraphQLResolverMap } from '../../platform/subgraph.js';
import { DateTime } from '../../platform/scalars.js';
import type { OrdersContext } from './context.js';
import type { Order, OrderItem, OrderStatus } from './generated/prisma/client.js';
import * as lifecycle from './lifecycle.js';
import { listOrders, orderCursor, orderWhere, readCursor } from './queries.js';

interface PageArgs {
  first?: number | null;
  after?: string | null;
  status?: OrderStatus | null;
}

/** An order is visible to its buyer and admins; FORBIDDEN to anyone else (services included). */
async function loadVisibleOrder(context: OrdersContext, id: string): Promise<Order | null> {
  requireUser(context.caller);
  const order = isUuid(id) ? await context.loaders.orderById.load(id.toLowerCase()) : null;
  if (order && !canActFor(context.caller, order.userId)) throw forbidden('You can only see your own orders.');
  return order;
}

export const resolvers: GraphQLResolverMap<OrdersContext> = {
  DateTime,

  Query: {
    order: (_parent, { id }: { id: string }, context) => loadVisibleOrder(context, id),

    async orders(_parent, args: PageArgs & { userId?: string | null }, context) {
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
    placeOrder: (_parent, { input }: { input: lifecycle.PlaceOrderInput }, context) =>
      lifecycle.placeOrder(context, requireUser(context.caller), input),
    cancelOrder: (_parent, { id }: { id: string }, context) => lifecycle.cancelOrder(context, requireUser(context.caller), id),
    completeOrder(_parent, { id }: { id: string }, context) {
      requireAdmin(context.caller);
      return lifecycle.completeOrder(context, id);
    },
  },

  Order: {
    __resolveReference: (reference: { id: string }, context: OrdersContext) => loadVisibleOrder(context, reference.id),
    user: (order: Order) => ({ __typename: 'User', id: order.userId }),
    items: (order: Order, _args: unknown, { loaders }: OrdersContext) => loaders.itemsByOrderId.load(order.id),
  },

  OrderItem: {
    product: (item: OrderItem) => ({ __typename: 'Product', id: item.productId }),
    subtotalCents: (item: OrderItem) => item.unitPriceCents * item.quantity,
  },

  User: {
    // The users subgraph decides whether the user exists; here a user is just an id with orders.
    __resolveReference: (reference: { id: string }) => reference,
    async orders(user: { id: string }, args: PageArgs, context: OrdersContext) {
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
