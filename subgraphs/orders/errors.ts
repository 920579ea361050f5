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
