// The last step of placing an order: telling inventory the order is saved, so its
// reservation stops expiring. Done inline by placeOrder and, for orders whose
// confirmation did not get through (inventory down, a lost reply, a crash), retried by
// a sweeper. A reservation that expired first means the stock is gone: the order is
// cancelled rather than left PENDING with nothing held for it.
import { Deadline, DEFAULT_BUDGET_MS } from '../../platform/deadline.js';
import { ErrorCode } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Order, PrismaClient } from './generated/prisma/client.js';
import type { InventoryClient } from './inventoryClient.js';
import type { LiveOrders } from './live.js';
import type { OutboxRelay } from './relay.js';
import { endOrder } from './terminalChange.js';

/** How old an unconfirmed order must be before the sweeper takes it over from placeOrder. */
const SWEEPER_GRACE_MS = 2000;
const SWEEP_BATCH = 100;

export interface ConfirmDeps {
  prisma: PrismaClient;
  inventory: InventoryClient;
  relay: Pick<OutboxRelay, 'kick'>;
  live?: Pick<LiveOrders, 'changed'>;
  requestId: string;
  deadline: Deadline;
  log: Logger;
}

/** Confirms one saved order; answers the order as it now stands. Network errors propagate. */
export async function confirmOrder(deps: ConfirmDeps, order: Order): Promise<Order> {
  try {
    await deps.inventory.confirm(order.id, deps);
  } catch (error) {
    if ((error as { extensions?: { code?: string } }).extensions?.code !== ErrorCode.Conflict) throw error;
    deps.log.warn({ orderId: order.id }, 'reservation expired before the order was confirmed; cancelling the order');
    await endOrder(deps, order, 'CANCELLED', 'RESERVATION_EXPIRED');
    return deps.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
  }
  return deps.prisma.order.update({ where: { id: order.id }, data: { confirmedAt: new Date() } });
}

/** One sweep: confirms PENDING orders that placeOrder could not confirm. Returns how many were settled. */
export async function confirmUnconfirmed(deps: Omit<ConfirmDeps, 'requestId' | 'deadline'>): Promise<number> {
  const stale = await deps.prisma.order.findMany({
    where: { status: 'PENDING', confirmedAt: null, createdAt: { lt: new Date(Date.now() - SWEEPER_GRACE_MS) } },
    orderBy: { createdAt: 'asc' },
    take: SWEEP_BATCH,
  });
  for (const order of stale) {
    await confirmOrder({ ...deps, requestId: `confirm-sweeper-${order.id}`, deadline: new Deadline(DEFAULT_BUDGET_MS) }, order);
  }
  return stale.length;
}
