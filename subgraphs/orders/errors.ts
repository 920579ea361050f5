// The orders subgraph's own errors and input rules, on top of platform/errors.ts.
import { badInput, codedError, conflict, ErrorCode } from '../../platform/errors.js';
import { requireUuid } from '../../platform/ids.js';

export const MAX_LINES = 50;
export const MAX_LINE_QUANTITY = 1000;
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Why inventory gave no answer: too slow, no connection, or the circuit is open after failures. */
export type UnavailableReason = 'timeout' | 'unreachable' | 'circuit_open';

export const inventoryUnavailable = (reason: UnavailableReason) =>
  codedError(ErrorCode.SubgraphUnavailable, 'The inventory service is unavailable; nothing was reserved. Try again shortly.', {
    subgraph: 'inventory',
    reason,
  });

/**
 * Inventory never answered a reservation and the clean-up that would have made the outcome
 * definite got no answer either: stock may be held for this order id until its TTL. The
 * order was not saved; a retry with the same idempotency key finds the held stock and
 * places the order, holding it once (README, "outcome unknown").
 */
export const reservationOutcomeUnknown = (reason: UnavailableReason) =>
  codedError(
    ErrorCode.SubgraphUnavailable,
    'The inventory service did not answer, so it is not known whether stock is held for this order. Retry with the same idempotencyKey: you get the order, with its stock held once.',
    { subgraph: 'inventory', reason, outcome: 'unknown' },
  );

/** Which per-customer cap a checkout would pass (PENDING_ORDERS_PER_CUSTOMER, PENDING_UNITS_PER_CUSTOMER). */
export type Limit = 'pendingOrders' | 'pendingUnits';

export function limitExceeded(limit: Limit, max: number, current: number) {
  const message =
    limit === 'pendingOrders'
      ? `You already have ${current} orders waiting to be completed, the most one customer may have; complete or cancel one first.`
      : `This order would bring the units held for your pending orders to more than ${max} (you hold ${current}); complete or cancel an order first.`;
  return codedError(ErrorCode.LimitExceeded, message, { limit, max, current });
}

/** Totals and subtotals are GraphQL Ints (and INTEGER columns): 2^31 - 1 cents at most. */
export const MAX_CENTS = 2 ** 31 - 1;

export const totalTooLarge = () =>
  badInput(`The order's total (or a line's subtotal) would exceed ${MAX_CENTS} cents; split it into smaller orders.`, 'items');

export const illegalTransition = (from: string, to: string) =>
  conflict(`The order is ${from}; only a PENDING order can become ${to}.`, { status: from });

export interface OrderLine {
  productId: string;
  quantity: number;
}

/**
 * Validates the lines and merges lines for the same product (a client adding the same
 * item twice means more of it), keeping the first-seen order.
 */
export function validateLines(lines: OrderLine[]): OrderLine[] {
  if (lines.length === 0) throw badInput('An order needs at least one item.', 'items');
  if (lines.length > MAX_LINES) throw badInput(`An order has at most ${MAX_LINES} items.`, 'items');
  const merged = new Map<string, number>();
  for (const line of lines) {
    const productId = requireUuid(line.productId, 'productId');
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_LINE_QUANTITY) {
      throw badInput(`quantity must be an integer from 1 to ${MAX_LINE_QUANTITY}, got ${line.quantity}.`, 'quantity');
    }
    merged.set(productId, (merged.get(productId) ?? 0) + line.quantity);
  }
  const result = [...merged].map(([productId, quantity]) => ({ productId, quantity }));
  const tooMany = result.find((line) => line.quantity > MAX_LINE_QUANTITY);
  if (tooMany) throw badInput(`quantity must be at most ${MAX_LINE_QUANTITY} per product, got ${tooMany.quantity} in all.`, 'quantity');
  return result;
}

export function validateIdempotencyKey(key: string | null | undefined): string | null {
  if (key == null) return null;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw badInput(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, 'idempotencyKey');
  }
  return key;
}
