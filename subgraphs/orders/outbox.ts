// The transactional outbox: every change of an order's state writes its event in the same
// database transaction, so an event exists exactly when its change does (no event for a
// rolled-back order, no committed change without its event). The relay (relay.ts) delivers
// the rows afterwards.
import { randomUUID } from 'node:crypto';
import { traceEventWrite } from '../../platform/eventTracing.js';
import { ORDER_EVENT_VERSION, type OrderEvent, type OrderEventItem, type OrderEventType } from '../../platform/events.js';
import type { CancellationReason, Order, OrderStatus, Prisma, PrismaClient } from './generated/prisma/client.js';

/** One order's events are numbered: placed first, then its single terminal event. */
const SEQUENCE: Record<OrderEventType, number> = { 'order.placed': 1, 'order.cancelled': 2, 'order.completed': 2 };
const TERMINAL: Partial<Record<OrderStatus, OrderEventType>> = { CANCELLED: 'order.cancelled', COMPLETED: 'order.completed' };

type Transaction = Prisma.TransactionClient;

/** The outbox row for an event about `order`, as it stands after the change (`reason`: why it was cancelled). */
export function outboxRow(
  type: OrderEventType,
  order: Pick<Order, 'id' | 'userId' | 'status' | 'totalCents'>,
  items: OrderEventItem[],
  at = new Date(),
  reason?: CancellationReason,
) {
  const event: OrderEvent = {
    id: randomUUID(),
    type,
    version: ORDER_EVENT_VERSION,
    occurredAt: at.toISOString(),
    orderId: order.id,
    sequence: SEQUENCE[type],
    data: { userId: order.userId, status: order.status, totalCents: order.totalCents, items, ...(reason ? { reason } : {}) },
  };
  traceEventWrite(event);
  return { id: event.id, orderId: order.id, sequence: event.sequence, type, version: event.version, payload: event as unknown as Prisma.InputJsonObject, createdAt: at };
}

/**
 * Moves a PENDING order to CANCELLED (saying why) or COMPLETED and records its event, in
 * one transaction. Returns false (and records nothing) if the order was no longer PENDING:
 * whoever changed it first wrote the one terminal event.
 */
export async function recordTransition(prisma: PrismaClient, order: Order, to: 'CANCELLED' | 'COMPLETED', reason?: CancellationReason): Promise<boolean> {
  const cancellationReason = to === 'CANCELLED' ? reason : undefined;
  return prisma.$transaction(async (tx: Transaction) => {
    const { count } = await tx.order.updateMany({ where: { id: order.id, status: 'PENDING' }, data: { status: to, cancellationReason } });
    if (count === 0) return false;
    const items = await tx.orderItem.findMany({ where: { orderId: order.id }, orderBy: { position: 'asc' } });
    const lines = items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents }));
    await tx.outboxEvent.create({ data: outboxRow(TERMINAL[to]!, { ...order, status: to }, lines, undefined, cancellationReason) });
    return true;
  });
}
