// What one customer may hold at once: PENDING orders hold stock until they are completed,
// cancelled or expire, so without a cap one account could hold the whole catalogue.
// Checked twice: before anything is reserved (a customer at a cap costs inventory
// nothing), and again under the customer's advisory lock in the transaction that saves
// the order, so two checkouts of one customer in parallel cannot both pass.
import type { PendingCaps } from './config.js';
import { limitExceeded } from './errors.js';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

/** What a customer holds now. */
export interface Holdings {
  orders: number;
  units: number;
}

type Db = PrismaClient | Prisma.TransactionClient;

export const capsOn = (caps: PendingCaps) => caps.orders > 0 || caps.units > 0;

/** The customer's PENDING orders and the units they hold, in one statement. */
export async function holdingsOf(db: Db, userId: string): Promise<Holdings> {
  const [row] = await db.$queryRaw<Holdings[]>`
    SELECT count(DISTINCT o.id)::int AS orders, coalesce(sum(i.quantity), 0)::int AS units
    FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE o.user_id = ${userId}::uuid AND o.status = 'PENDING'`;
  return row ?? { orders: 0, units: 0 };
}

/** LIMIT_EXCEEDED if one more order of `units` units would pass a cap. */
export function checkCaps(caps: PendingCaps, held: Holdings, units: number): void {
  if (caps.orders > 0 && held.orders + 1 > caps.orders) throw limitExceeded('pendingOrders', caps.orders, held.orders);
  if (caps.units > 0 && held.units + units > caps.units) throw limitExceeded('pendingUnits', caps.units, held.units);
}

/** Serialises, until the transaction ends, every save of an order for this customer (on every instance). */
export async function lockCustomer(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`pending-orders:${userId}`}, 0))`;
}
