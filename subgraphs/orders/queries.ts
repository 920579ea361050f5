// Reading orders page by page, newest first, with keyset cursors on (createdAt, id).
import { badInput } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { decodeCursor, encodeCursor } from '../../platform/pagination.js';
import { Prisma, type CancellationReason, type Order, type OrderStatus, type PrismaClient } from './generated/prisma/client.js';

/** Where a page starts: strictly after (older than) this order. */
export type Position = [createdAt: string, id: string];

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

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  total_cents: number;
  idempotency_key: string | null;
  confirmed_at: Date | null;
  cancellation_reason: CancellationReason | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The first `take` orders of each of many users, in one statement: a window function
 * numbers each user's orders newest first and keeps the first `take`.
 */
export async function ordersOfUsers(
  prisma: PrismaClient,
  { userIds, take, status, before }: { userIds: string[]; take: number; status: OrderStatus | null; before: Position | null },
): Promise<Order[]> {
  const statusFilter = status ? Prisma.sql`AND status = ${status}::"OrderStatus"` : Prisma.empty;
  const positionFilter = before ? Prisma.sql`AND (created_at, id) < (${new Date(before[0])}::timestamptz, ${before[1]}::uuid)` : Prisma.empty;
  const rows = await prisma.$queryRaw<OrderRow[]>`
    SELECT id, user_id, status, total_cents, idempotency_key, confirmed_at, cancellation_reason, created_at, updated_at FROM (
      SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS position
      FROM orders
      WHERE user_id = ANY(${userIds}::uuid[]) ${statusFilter} ${positionFilter}
    ) numbered
    WHERE position <= ${take}
    ORDER BY user_id, created_at DESC, id DESC`;
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    status: row.status,
    totalCents: row.total_cents,
    idempotencyKey: row.idempotency_key,
    confirmedAt: row.confirmed_at,
    cancellationReason: row.cancellation_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}
