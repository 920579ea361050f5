// Stock cannot be hoarded: an order left PENDING past PENDING_ORDER_TTL_SECONDS holds its
// stock for nobody, so the order sweeper cancels it as EXPIRED, releasing the stock and
// writing its order.cancelled event. A buyer's cancel or an admin's complete may race the
// sweeper: inventory applies only one of release and commit to a reservation, and only
// the first status change of a PENDING order is recorded, so each order ends in exactly
// one terminal state, with one terminal event, and the stock follows it.
import { Deadline, DEFAULT_BUDGET_MS } from '../../platform/deadline.js';
import { ErrorCode } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { InventoryClient } from './inventoryClient.js';
import type { LiveOrders } from './live.js';
import type { OutboxRelay } from './relay.js';
import { endOrder } from './terminalChange.js';

const SWEEP_BATCH = 100;

export interface ExpiryDeps {
  prisma: PrismaClient;
  inventory: InventoryClient;
  relay: Pick<OutboxRelay, 'kick'>;
  /** Told after each change, for the order's subscribers (orderUpdated). */
  live?: Pick<LiveOrders, 'changed'>;
  log: Logger;
}

/** One sweep: cancels PENDING orders placed more than `ttlSeconds` before `now`. Returns how many it cancelled. */
export async function expireStalePending(deps: ExpiryDeps, ttlSeconds: number, now = new Date()): Promise<number> {
  const stale = await deps.prisma.order.findMany({
    where: { status: 'PENDING', createdAt: { lt: new Date(now.getTime() - ttlSeconds * 1000) } },
    orderBy: { createdAt: 'asc' },
    take: SWEEP_BATCH,
  });
  let expired = 0;
  for (const order of stale) {
    const scope = { requestId: `expiry-sweeper-${order.id}`, deadline: new Deadline(DEFAULT_BUDGET_MS) };
    try {
      await deps.inventory.release(order.id, scope);
    } catch (error) {
      // Anything but CONFLICT (inventory unavailable) ends this sweep; the next one retries.
      if ((error as { extensions?: { code?: string } }).extensions?.code !== ErrorCode.Conflict) throw error;
      // CONFLICT: inventory had already sold the stock, so an admin's complete got there
      // first. It is the sale that stands; record it, if that complete has not yet.
      deps.log.info({ orderId: order.id }, 'expired order was sold meanwhile; recording it completed');
      await endOrder(deps, order, 'COMPLETED');
      continue;
    }
    if (await endOrder(deps, order, 'CANCELLED', 'EXPIRED')) expired += 1;
  }
  return expired;
}
