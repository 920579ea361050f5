// Placing, cancelling and completing orders. The inventory subgraph holds the stock
// (keyed by order id, so a retried call is a no-op there); this subgraph records the
// order. Inventory arbitrates races between cancel and complete: only one of release
// and commit can apply to a reservation.
import { createHash, randomUUID } from 'node:crypto';
import type { UserCaller } from '../../platform/authorization.js';
import type { Deadline } from '../../platform/deadline.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import { requireUuid } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { PendingCaps } from './config.js';
import { confirmOrder } from './confirmations.js';
import {
  illegalTransition,
  MAX_CENTS,
  reservationOutcomeUnknown,
  totalTooLarge,
  validateIdempotencyKey,
  validateLines,
  type OrderLine,
  type UnavailableReason,
} from './errors.js';
import type { CancellationReason, Order, OrderItem, PrismaClient } from './generated/prisma/client.js';
import { mayHaveActed, type InventoryClient, type ReservationOutcome, type ReservedLine } from './inventoryClient.js';
import { capsOn, checkCaps, holdingsOf, lockCustomer } from './limits.js';
import { outboxRow } from './outbox.js';
import type { LiveOrders } from './live.js';
import type { OutboxRelay } from './relay.js';
import { endOrder } from './terminalChange.js';
import type { PlaceOrderInput } from './generated/schema.js';

export interface LifecycleDeps {
  prisma: PrismaClient;
  inventory: InventoryClient;
  /** Told after each commit that wrote an event, so it goes out now rather than at the next tick. */
  relay: Pick<OutboxRelay, 'kick'>;
  /** Told after each commit that changed an order, for its subscribers (orderUpdated). */
  live?: Pick<LiveOrders, 'changed'>;
  requestId: string;
  /** When the caller stops waiting: calls to inventory get what is left of it. */
  deadline: Deadline;
  /** What one customer may hold at once. */
  caps: PendingCaps;
  log: Logger;
}

type OrderWithItems = Order & { items: OrderItem[] };

export async function placeOrder(deps: LifecycleDeps, buyer: UserCaller, input: PlaceOrderInput): Promise<Order> {
  const { prisma } = deps;
  const lines = validateLines(input.items);
  const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
  if (idempotencyKey) {
    const earlier = await prisma.order.findUnique({ where: { userId_idempotencyKey: { userId: buyer.userId, idempotencyKey } }, include: { items: true } });
    if (earlier) return sameOrder(earlier, lines);
  }
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  // A customer at a cap is refused before anything is reserved (checked again when saving).
  if (capsOn(deps.caps)) checkCaps(deps.caps, await holdingsOf(prisma, buyer.userId), units);

  const orderId = idempotencyKey ? orderIdFor(buyer.userId, idempotencyKey) : randomUUID();
  const reservation = await reserve(deps, orderId, lines);
  if ('saved' in reservation) return sameOrder(reservation.saved, lines);
  const reservedLine = new Map(reservation.lines.map((line) => [line.productId, line]));
  const items = lines.map((line, position) => ({ ...line, unitPriceCents: reservedLine.get(line.productId)!.unitPriceCents, position }));
  const totalCents = items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
  // Totals and subtotals are GraphQL Ints; prices are only known once reserved, so give the stock back.
  if (totalCents > MAX_CENTS || items.some((item) => item.unitPriceCents * item.quantity > MAX_CENTS)) {
    await giveBack(deps, orderId);
    throw totalTooLarge();
  }
  const placed = outboxRow(
    'order.placed',
    { id: orderId, userId: buyer.userId, status: 'PENDING', totalCents },
    items.map(({ productId, quantity, unitPriceCents }) => ({ productId, name: reservedLine.get(productId)!.name, quantity, unitPriceCents })),
  );
  let saved: { order: Order; concurrent?: OrderWithItems };
  try {
    // The order and its order.placed event commit together or not at all, under the
    // customer's lock: the caps are checked again where no parallel checkout can pass them too.
    saved = await prisma.$transaction(async (tx) => {
      await lockCustomer(tx, buyer.userId);
      // A concurrent attempt with the same idempotency key saved this very order (same id,
      // same reservation): answer with it, and leave its stock alone.
      const concurrent = await tx.order.findUnique({ where: { id: orderId }, include: { items: true } });
      if (concurrent) return { order: concurrent, concurrent };
      if (capsOn(deps.caps)) checkCaps(deps.caps, await holdingsOf(tx, buyer.userId), units);
      const order = await tx.order.create({
        data: { id: orderId, userId: buyer.userId, status: 'PENDING', totalCents, idempotencyKey, createdAt: placed.createdAt, items: { create: items } },
      });
      await tx.outboxEvent.create({ data: placed });
      return { order };
    });
  } catch (error) {
    const concurrent = await prisma.order.findUnique({ where: { id: orderId }, include: { items: true } });
    if (concurrent) return sameOrder(concurrent, lines);
    // Nothing was saved (a cap passed meanwhile, a database error), so nothing may stay reserved for it.
    await giveBack(deps, orderId);
    throw error;
  }
  if (saved.concurrent) return sameOrder(saved.concurrent, lines);
  deps.relay.kick();
  deps.live?.changed(prisma, orderId, deps.log);
  try {
    return await confirmOrder(deps, saved.order);
  } catch (error) {
    // The order is saved and its stock held; the confirmation sweeper finishes the job.
    deps.log.warn({ err: error, orderId }, 'could not confirm the reservation yet; the sweeper will retry');
    return saved.order;
  }
}

/**
 * Reserves the stock, or finds the order a concurrent attempt with the same idempotency
 * key saved. A reservation whose answer never came (timed out, connection cut) may or may
 * not have been made: rather than let it hold stock until its TTL behind a buyer told
 * "nothing was reserved", release it (inventory makes the release wait for a reservation
 * of this order still in progress) and answer a definite refusal. Only if that release
 * gets no answer either is the outcome unknown to the buyer.
 */
async function reserve(deps: LifecycleDeps, orderId: string, lines: OrderLine[]): Promise<{ lines: ReservedLine[] } | { saved: OrderWithItems }> {
  try {
    return { lines: await deps.inventory.reserve(orderId, lines, deps) };
  } catch (error) {
    if (!mayHaveActed(error)) throw error;
    const reason = (error as { extensions: { reason: UnavailableReason } }).extensions.reason;
    const findSaved = () => deps.prisma.order.findUnique({ where: { id: orderId }, include: { items: true } });
    const earlier = await findSaved();
    if (earlier) return { saved: earlier };
    let outcome: ReservationOutcome;
    try {
      outcome = await deps.inventory.release(orderId, deps, { unconfirmedOnly: true, final: true });
    } catch (cleanup) {
      deps.log.warn({ err: cleanup, orderId }, 'a reservation got no answer, nor did its release: the buyer is told the outcome is unknown');
      throw reservationOutcomeUnknown(reason);
    }
    // Confirmed already: a concurrent attempt with the same key saved the order.
    if (outcome === 'KEPT') {
      const saved = await findSaved();
      if (saved) return { saved };
      throw reservationOutcomeUnknown(reason);
    }
    throw error; // definite now: nothing is held for this order id
  }
}

// Private: nothing was saved for this order id, so its reservation goes back (best effort:
// the reservation TTL covers a release that does not get through).
async function giveBack(deps: LifecycleDeps, orderId: string): Promise<void> {
  await deps.inventory.release(orderId, deps, { unconfirmedOnly: true, final: true }).catch((error: unknown) => {
    deps.log.warn({ err: error, orderId }, 'could not release the reservation of an order that was not saved; it expires with its TTL');
  });
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

function sameOrder(order: OrderWithItems, lines: OrderLine[]): Order {
  const quantities = new Map(order.items.map((item) => [item.productId, item.quantity]));
  const same = order.items.length === lines.length && lines.every((line) => quantities.get(line.productId) === line.quantity);
  if (!same) throw conflict('This idempotencyKey was already used for a different order.', { orderId: order.id });
  const { items: _items, ...rest } = order;
  return rest;
}

/** A customer cancels their own PENDING order; an admin any. Cancelling twice is fine. */
export async function cancelOrder(deps: LifecycleDeps, caller: UserCaller, id: string): Promise<Order> {
  const order = await findOrder(deps.prisma, id);
  const own = order.userId === caller.userId;
  if (caller.role !== 'ADMIN' && !own) throw forbidden('You can only cancel your own orders.');
  const reason: CancellationReason = own ? 'CUSTOMER' : 'ADMIN';
  return transition(deps, order, 'CANCELLED', () => deps.inventory.release(order.id, deps), reason);
}

/**
 * An admin completes a PENDING order: the reserved units are sold. Completing twice is
 * fine; completing an order whose stock is no longer held (its reservation is gone) is a
 * CONFLICT that changes nothing: there is nothing to sell.
 */
export async function completeOrder(deps: LifecycleDeps, id: string): Promise<Order> {
  const order = await findOrder(deps.prisma, id);
  return transition(deps, order, 'COMPLETED', async () => {
    const outcome = await deps.inventory.commit(order.id, deps);
    if (outcome === 'NONE') {
      throw conflict('No stock is held for this order any more, so it cannot be completed; cancel it instead.', { status: order.status });
    }
  });
}

async function findOrder(prisma: PrismaClient, id: string): Promise<Order> {
  const order = await prisma.order.findUnique({ where: { id: requireUuid(id, 'id') } });
  if (!order) throw notFound('Order', id);
  return order;
}

// Private: settles the stock first, then records the new status (and its event) only if
// the order is still PENDING; a retry after a lost reply finds the stock already settled
// (a no-op in inventory) and finishes the job.
async function transition(
  deps: LifecycleDeps,
  order: Order,
  to: 'CANCELLED' | 'COMPLETED',
  settleStock: () => Promise<unknown>,
  reason?: CancellationReason,
): Promise<Order> {
  if (order.status === to) return order;
  if (order.status !== 'PENDING') throw illegalTransition(order.status, to);
  await settleStock();
  const changed = await endOrder(deps, order, to, reason);
  const current = await deps.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
  if (!changed && current.status !== to) throw illegalTransition(current.status, to);
  return current;
}
