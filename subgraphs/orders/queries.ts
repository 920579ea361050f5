// Reading orders page by page, newest first, with keyset cursors on (createdAt, id).
import { badInput } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { newestPerUser, type Position } from '../../platform/newestPerUser.js';
import { decodeCursor, encodeCursor } from '../../platform/pagination.js';
import { Prisma, type Order, type OrderStatus, type PrismaClient } from './generated/prisma/client.js';

export type { Position };

export const orderCursor = (order: Order) => encodeCursor([order.createdAt.toISOString(), order.id]);

export function readCursor(after: string | null | undefined): Position | null {
  if (!after) return null;
  const [createdAt, id] = decodeCursor(after, ['string', 'string']) as Position;
  if (!isUuid(id) || Number.isNaN(Date.parse(createdAt))) throw badInput('after is not a cursor this API gave out.', 'after');
  return [createdAt, id];
}

function olderThan(position: Position | null): Prisma.OrderWhereInput {
  if (!position) return {};
  const createdAt = new Date(position[0]);
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: position[1] } }] };
}

export interface OrderFilter {
  userId?: string;
  status?: OrderStatus | null;
}

export function orderWhere(filter: OrderFilter): Prisma.OrderWhereInput {
  return { ...(filter.userId ? { userId: filter.userId } : {}), ...(filter.status ? { status: filter.status } : {}) };
}

/** One page of orders, `take` rows from `before` on. */
export function listOrders(prisma: PrismaClient, filter: OrderFilter, take: number, before: Position | null): Promise<Order[]> {
  return prisma.order.findMany({
    where: { AND: [orderWhere(filter), olderThan(before)] },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take,
  });
}

export interface UserOrdersPage {
  userId: string;
  take: number;
  status: OrderStatus | null;
  before: Position | null;
}

/** The first `take` orders of each of many users, in one statement. */
export function ordersOfUsers(
  prisma: PrismaClient,
  { userIds, take, status, before }: { userIds: string[]; take: number; status: OrderStatus | null; before: Position | null },
): Promise<Order[]> {
  return newestPerUser<Order>(prisma, {
    table: 'orders',
    columns: {
      id: 'id',
      userId: 'user_id',
      status: 'status',
      totalCents: 'total_cents',
      idempotencyKey: 'idempotency_key',
      confirmedAt: 'confirmed_at',
      cancellationReason: 'cancellation_reason',
      createdAt: 'created_at',
      updatedAt: 'updated_at',
    },
    userIds,
    take,
    before,
    where: status ? Prisma.sql`AND status = ${status}::"OrderStatus"` : Prisma.empty,
  });
}
