// Placing, cancelling and completing orders. The inventory subgraph holds the stock
// (keyed by order id, so a retried call is a no-op there); this subgraph records the
// order. Inventory arbitrates races between cancel and complete: only one of release
// and commit can apply to a reservation.
import { createHash, randomUUID } from 'node:crypto';
import type { UserCaller } from '../../platform/authorization.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import { requireUuid } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import { confirmOrder } from './confirmations.js';
import { illegalTransition, validateIdempotencyKey, validateLines, type OrderLine } from './errors.js';
import type { Order, PrismaClient } from './generated/prisma/client.js';
import type { InventoryClient } from './inventoryClient.js';
import { outboxRow, recordTransition } from './outbox.js';
import type { LiveOrders } from './live.js';
import type { OutboxRelay } from './relay.js';

export interface LifecycleDeps {
  prisma: PrismaClient;
  inventory: InventoryClient;
  /** Told after each commit that wrote an event, so it goes out now rather than at the next tick. */
  relay: Pick<OutboxRelay, 'kick'>;
  /** Told after each commit that changed an order, for its subscribers (orderUpdated). */
  live?: Pick<LiveOrders, 'changed'>;
  requestId: string;
  log: Logger;
}

export interface PlaceOrderInput {
  items: OrderLine[];
  idempotencyKey?: string | null;
}

export async function placeOrder(deps: LifecycleDeps, buyer: UserCaller, input: PlaceOrderInput): Promise<Order> {
  const { prisma, inventory, requestId } = deps;
  const lines = validateLines(input.items);
  const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
  if (idempotencyKey) {
    const earlier = await prisma.order.findUnique({ where: { userId_idempotencyKey: { userId: buyer.userId, idempotencyKey } }, include: { items: true } });
    if (earlier) return sameOrder(earlier, lines);
  }

  const orderId = idempotencyKey ? orderIdFor(buyer.userId, idempotencyKey) : randomUUID();
  const reserved = await inventory.reserve(orderId, lines, requestId);
  const reservedLine = new Map(reserved.map((line) => [line.productId, line]));
  const items = lines.map((line, position) => ({ ...line, unitPriceCents: reservedLine.get(line.productId)!.unitPriceCents, position }));
  const totalCents = items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
  const placed = outboxRow(
    'order.placed',
    { id: orderId, userId: buyer.userId, status: 'PENDING', totalCents },
    items.map(({ productId, quantity, unitPriceCents }) => ({ productId, name: reservedLine.get(productId)!.name, quantity, unitPriceCents })),
  );
  let order: Order;
  try {
    // The order and its order.placed event commit together or not at all.
    [order] = await prisma.$transaction([
      prisma.order.create({
        data: { id: orderId, userId: buyer.userId, status: 'PENDING', totalCents, idempotencyKey, createdAt: placed.createdAt, items: { create: items } },
      }),
      prisma.outboxEvent.create({ data: placed }),
    ]);
  } catch (error) {
    // A concurrent attempt with the same idempotency key saved this very order (same id,
    // same reservation): answer with it, and leave its stock alone.
    const saved = await prisma.order.findUnique({ where: { id: orderId }, include: { items: true } });
    if (saved) return sameOrder(saved, lines);
    // Nothing was saved, so nothing may stay reserved for it.
    await inventory.release(orderId, requestId).catch(() => {});
    throw error;
  }
  deps.relay.kick();
  deps.live?.changed(prisma, orderId, deps.log);
  try {
    return await confirmOrder(deps, order);
  } catch (error) {
    // The order is saved and its stock held; the confirmation sweeper finishes the job.
    deps.log.warn({ err: error, orderId }, 'could not confirm the reservation yet; the sweeper will retry');
    return order;
  }
}

/**
 * Retries of one idempotency key share one order id, and inventory keys reservations by
 * order id: concurrent or repeated attempts hold the stock once, not once per attempt.
 * (A name-based UUID, version 8, from the user and the key.)
 */
export function orderIdFor(userId: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`${userId}\n${idempotencyKey}`).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function sameOrder(order: Order & { items: OrderLine[] }, lines: OrderLine[]): Order {
  const quantities = new Map(order.items.map((item) => [item.productId, item.quantity]));
  const same = order.items.length === lines.length && lines.every((line) => quantities.get(line.productId) === line.quantity);
  if (!same) throw conflict('This idempotencyKey was already used for a different order.', { orderId: order.id });
  const { items: _items, ...rest } = order;
  return rest;
}

/** A customer cancels their own PENDING order; an admin any. Cancelling twice is fine. */
export async function cancelOrder(deps: LifecycleDeps, caller: UserCaller, id: string): Promise<Order> {
  const order = await findOrder(deps.prisma, id);
  if (caller.role !== 'ADMIN' && order.userId !== caller.userId) throw forbidden('You can only cancel your own orders.');
  return transition(deps, order, 'CANCELLED', () => deps.inventory.release(order.id, deps.requestId));
}

/** An admin completes a PENDING order: the reserved units are sold. Completing twice is fine. */
export async function completeOrder(deps: LifecycleDeps, id: string): Promise<Order> {
  const order = await findOrder(deps.prisma, id);
  return transition(deps, order, 'COMPLETED', () => deps.inventory.commit(order.id, deps.requestId));
}

async function findOrder(prisma: PrismaClient, id: string): Promise<Order> {
  const order = await prisma.order.findUnique({ where: { id: requireUuid(id, 'id') } });
  if (!order) throw notFound('Order', id);
  return order;
}

// Private: settles the stock first, then records the new status (and its event) only if
// the order is still PENDING; a retry after a lost reply finds the stock already settled
// (a no-op in inventory) and finishes the job.
async function transition(deps: LifecycleDeps, order: Order, to: 'CANCELLED' | 'COMPLETED', settleStock: () => Promise<unknown>): Promise<Order> {
  if (order.status === to) return order;
  if (order.status !== 'PENDING') throw illegalTransition(order.status, to);
  await settleStock();
  const changed = await recordTransition(deps.prisma, order, to);
  if (changed) {
    deps.relay.kick();
    deps.live?.changed(deps.prisma, order.id, deps.log);
  }
  const current = await deps.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
  if (!changed && current.status !== to) throw illegalTransition(current.status, to);
  return current;
}
