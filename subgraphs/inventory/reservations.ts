// Holding stock for orders. Every change is a conditional UPDATE inside one
// transaction, so two buyers racing for the last unit cannot both get it, and the
// CHECK constraints in the migration refuse anything that would go negative.
//
// Every reservation runs against its request's deadline (platform/deadline.ts): it is not
// started once the budget is spent, it waits for a locked row at most maxWaitMs, no
// statement outlives the budget, and it is not committed past it. So the orders service
// hears "nothing was reserved" before it gives up waiting, rather than a reservation
// committing after it has told its buyer so.
import type { Deadline } from '../../platform/deadline.js';
import { badInput, codedError, conflict, ErrorCode, notFound } from '../../platform/errors.js';
import { isLockTimeout, isStatementTimeout, isTransactionTimeout } from '../../platform/prismaErrors.js';
import { requireUuid } from '../../platform/ids.js';
import { MAX_LINE_QUANTITY, outOfStock, validateCount } from './errors.js';
import { Prisma, type PrismaClient, type Reservation } from './generated/prisma/client.js';
import type { ReservationLineInput as ReservationLine, ReservationOutcome, ReservedLine } from './generated/schema.js';

const MAX_LINES = 100;

export interface ReservationSettings {
  /** How long an unconfirmed reservation holds the stock. */
  ttlSeconds: number;
  /**
   * How long a reservation may wait for a database connection, and then for a locked
   * row. Buyers of one popular product queue on its row lock, each holding a pooled
   * connection while it waits, so under a burst the queue for a connection can be long;
   * and a row held by a long transaction elsewhere would keep every buyer of it waiting.
   * A wait past this is answered "busy, try again", well before the caller gives up.
   */
  maxWaitMs: number;
}

const busy = () =>
  codedError(ErrorCode.SubgraphUnavailable, 'Inventory is too busy to reserve stock right now; nothing was reserved. Try again.', {
    subgraph: 'inventory',
    reason: 'busy',
  });

const outOfTime = () =>
  codedError(ErrorCode.SubgraphUnavailable, 'The time allowed for this request ran out in inventory; nothing was reserved. Try again.', {
    subgraph: 'inventory',
    reason: 'timeout',
  });

/** The budget left for work, in whole milliseconds for PostgreSQL's settings; refused when spent. */
function workBudget(deadline: Deadline): number {
  const left = Math.floor(deadline.workRemainingMs());
  if (left <= 0) throw outOfTime();
  return left;
}

// Private: a wait or a budget that ran out means the transaction was rolled back: nothing changed.
function whyNothingChanged(error: unknown, deadline: Deadline): unknown {
  if (isLockTimeout(error)) return busy();
  if (isStatementTimeout(error)) return outOfTime();
  // P2028: no connection within maxWait, or a commit refused because the transaction ran past its timeout.
  if (isTransactionTimeout(error)) return deadline.spent ? outOfTime() : busy();
  return error;
}

/** Told, after the commit, which products' stock or reserved units a change moved (their subscribers hear it). */
export type StockChanged = (productIds: string[]) => void;

function validateLines(lines: ReservationLine[]): ReservationLine[] {
  if (lines.length === 0 || lines.length > MAX_LINES) throw badInput(`An order has 1 to ${MAX_LINES} lines.`, 'lines');
  const seen = new Set<string>();
  const valid = lines.map((line) => {
    const productId = requireUuid(line.productId, 'productId');
    if (seen.has(productId)) throw badInput(`Product ${productId} appears twice; send one line per product.`, 'lines');
    seen.add(productId);
    return { productId, quantity: validateCount(line.quantity, 'quantity', { min: 1, max: MAX_LINE_QUANTITY }) };
  });
  // Rows are locked in one global order (by id), so two orders never wait on each other in a cycle.
  return valid.sort((a, b) => a.productId.localeCompare(b.productId));
}

/**
 * Reserves every line or none for `orderId`, within `deadline`. A retry with the same
 * order id and lines returns the reservation already made; with different lines it is a CONFLICT.
 */
export async function reserveStock(
  prisma: PrismaClient,
  orderId: string,
  lines: ReservationLine[],
  settings: ReservationSettings,
  deadline: Deadline,
): Promise<ReservedLine[]> {
  orderId = requireUuid(orderId, 'orderId');
  const wanted = validateLines(lines);
  const budget = workBudget(deadline);
  return prisma.$transaction(async (tx) => {
    const left = workBudget(deadline);
    await tx.$executeRaw`SELECT set_config('lock_timeout', ${String(settings.maxWaitMs)}, true), set_config('statement_timeout', ${String(left)}, true)`;
    // Attempts for one order id take turns (a retry racing the original): the second
    // sees the first's reservation instead of competing with it for the same stock. A
    // release for this order id takes the same lock, so it waits for a reservation in
    // progress instead of slipping in before it commits.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${orderId}, 0))`;
    workBudget(deadline);
    const existing = await tx.reservation.findMany({ where: { orderId } });
    // Released rows mean an earlier attempt was given back before its order was saved
    // (orders releases on failure); a retry under that id reserves anew.
    if (existing.some((row) => row.status !== 'RELEASED')) {
      const names = await tx.product.findMany({ where: { id: { in: wanted.map((line) => line.productId) } }, select: { id: true, name: true } });
      return sameReservation(existing, wanted, new Map(names.map((product) => [product.id, product.name])));
    }
    if (existing.length > 0) await tx.reservation.deleteMany({ where: { orderId } });

    const reserved: ReservedLine[] = [];
    for (const line of wanted) {
      const rows = await tx.$queryRaw<{ priceCents: number; name: string }[]>`
        UPDATE products SET reserved = reserved + ${line.quantity}, updated_at = now()
        WHERE id = ${line.productId}::uuid AND deleted_at IS NULL AND stock - reserved >= ${line.quantity}
        RETURNING price_cents AS "priceCents", name`;
      if (rows.length === 0) {
        const product = await tx.product.findUnique({ where: { id: line.productId } });
        if (!product || product.deletedAt) throw notFound('Product', line.productId);
        throw outOfStock(product, line.quantity);
      }
      reserved.push({ ...line, name: rows[0]!.name, unitPriceCents: rows[0]!.priceCents });
    }
    // Held only for a while until orders confirms it has saved the order (see confirmReservation).
    const expiresAt = new Date(Date.now() + settings.ttlSeconds * 1000);
    await tx.reservation.createMany({ data: reserved.map(({ name: _name, ...line }) => ({ orderId, ...line, expiresAt })) });
    // The last moment to back out: committed later, this stock would be held for a
    // caller that has stopped waiting (Prisma's own timeout refuses such a commit too).
    workBudget(deadline);
    return reserved;
  }, { maxWait: Math.min(settings.maxWaitMs, budget), timeout: budget }).catch((error: unknown) => {
    throw whyNothingChanged(error, deadline);
  });
}

function sameReservation(existing: Reservation[], wanted: ReservationLine[], names: Map<string, string>): ReservedLine[] {
  const byProduct = new Map(existing.map((row) => [row.productId, row]));
  const same = existing.length === wanted.length && wanted.every((line) => byProduct.get(line.productId)?.quantity === line.quantity);
  if (!same) throw conflict('This order already holds a different reservation.');
  if (existing.some((row) => row.status !== 'HELD')) throw conflict(`This order's reservation was already ${existing[0]!.status.toLowerCase()}.`);
  return wanted.map((line) => ({ ...line, name: names.get(line.productId) ?? '', unitPriceCents: byProduct.get(line.productId)!.unitPriceCents }));
}

/**
 * The orders service has saved the order: the reservation no longer expires. CONFLICT if
 * it already expired and was released (orders then cancels the order).
 */
export async function confirmReservation(prisma: PrismaClient, orderId: string): Promise<ReservationOutcome> {
  orderId = requireUuid(orderId, 'orderId');
  const { count } = await prisma.reservation.updateMany({ where: { orderId, status: 'HELD', expiresAt: { not: null } }, data: { expiresAt: null } });
  if (count > 0) return 'APPLIED';
  const existing = await prisma.reservation.findMany({ where: { orderId }, select: { status: true } });
  if (existing.length === 0) return 'NONE';
  if (existing.every((row) => row.status !== 'RELEASED')) return 'ALREADY_DONE';
  throw conflict("This order's reservation expired and was released.");
}

/**
 * Releases every reservation whose time ran out before orders confirmed it: the order
 * was never saved, or orders never heard back. Returns how many orders' stock came back.
 */
export async function releaseExpired(prisma: PrismaClient, now = new Date(), changed?: StockChanged): Promise<number> {
  const rows = await prisma.$queryRaw<{ orders: number; products: string[] | null }[]>`
    WITH expired AS (
      UPDATE reservations SET status = 'RELEASED', updated_at = now()
      WHERE status = 'HELD' AND expires_at < ${now} RETURNING order_id, product_id, quantity
    ), per_product AS (
      SELECT product_id, sum(quantity)::int AS quantity FROM expired GROUP BY product_id
    ), adjusted AS (
      UPDATE products p SET reserved = p.reserved - e.quantity, updated_at = now()
      FROM per_product e WHERE p.id = e.product_id RETURNING p.id
    )
    SELECT (SELECT count(DISTINCT order_id) FROM expired)::int AS orders, (SELECT array_agg(id::text) FROM adjusted) AS products`;
  if (rows[0]?.products?.length) changed?.(rows[0].products);
  return rows[0]?.orders ?? 0;
}

/**
 * Gives back what the order held. Idempotent; CONFLICT if it was already sold. With
 * `unconfirmedOnly` (orders cleaning up after a reservation whose answer it never got) a
 * reservation already confirmed, so held for a saved order, is KEPT.
 */
export function releaseReservation(
  prisma: PrismaClient,
  orderId: string,
  deadline: Deadline,
  { unconfirmedOnly = false, changed }: { unconfirmedOnly?: boolean; changed?: StockChanged } = {},
): Promise<ReservationOutcome> {
  return settle(prisma, requireUuid(orderId, 'orderId'), 'RELEASED', deadline, unconfirmedOnly, changed);
}

/** Turns what the order held into a sale. Idempotent; CONFLICT if it was already released. */
export function commitReservation(prisma: PrismaClient, orderId: string, deadline: Deadline, changed?: StockChanged): Promise<ReservationOutcome> {
  return settle(prisma, requireUuid(orderId, 'orderId'), 'COMMITTED', deadline, false, changed);
}

// Private: one statement moves every HELD line of the order to its final status and
// adjusts the products, so a release and a commit racing for one order cannot both apply.
// It first takes the order's advisory lock, as reserveStock does, so it waits for a
// reservation of this order still in progress and settles what that one leaves.
async function settle(
  prisma: PrismaClient,
  orderId: string,
  to: 'RELEASED' | 'COMMITTED',
  deadline: Deadline,
  unconfirmedOnly: boolean,
  changed?: StockChanged,
): Promise<ReservationOutcome> {
  const left = String(workBudget(deadline));
  const onlyUnconfirmed = unconfirmedOnly ? Prisma.sql`AND expires_at IS NOT NULL` : Prisma.empty;
  const change =
    to === 'RELEASED'
      ? prisma.$queryRaw<{ changed: number; products: string[] | null }[]>`
          WITH settled AS (
            UPDATE reservations SET status = 'RELEASED', updated_at = now()
            WHERE order_id = ${orderId}::uuid AND status = 'HELD' ${onlyUnconfirmed} RETURNING product_id, quantity
          ), adjusted AS (
            UPDATE products p SET reserved = p.reserved - s.quantity, updated_at = now()
            FROM settled s WHERE p.id = s.product_id RETURNING p.id
          )
          SELECT count(*)::int AS changed, array_agg(id::text) AS products FROM adjusted`
      : prisma.$queryRaw<{ changed: number; products: string[] | null }[]>`
          WITH settled AS (
            UPDATE reservations SET status = 'COMMITTED', updated_at = now()
            WHERE order_id = ${orderId}::uuid AND status = 'HELD' RETURNING product_id, quantity
          ), adjusted AS (
            UPDATE products p SET stock = p.stock - s.quantity, reserved = p.reserved - s.quantity, updated_at = now()
            FROM settled s WHERE p.id = s.product_id RETURNING p.id
          )
          SELECT count(*)::int AS changed, array_agg(id::text) AS products FROM adjusted`;
  const [, , rows] = await prisma
    .$transaction([
      prisma.$executeRaw`SELECT set_config('lock_timeout', ${left}, true), set_config('statement_timeout', ${left}, true)`,
      prisma.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${orderId}, 0))`,
      change,
    ])
    .catch((error: unknown) => {
      throw whyNothingChanged(error, deadline);
    });
  if ((rows[0]?.changed ?? 0) > 0) {
    changed?.(rows[0]!.products ?? []);
    return 'APPLIED';
  }
  const existing = await prisma.reservation.findMany({ where: { orderId }, select: { status: true } });
  if (existing.length === 0) return 'NONE';
  if (existing.every((row) => row.status === to)) return 'ALREADY_DONE';
  if (unconfirmedOnly && existing.every((row) => row.status === 'HELD')) return 'KEPT';
  throw conflict(`This order's reservation was already ${existing[0]!.status.toLowerCase()}.`);
}
