// An order's one terminal change (CANCELLED or COMPLETED), wherever it is made: by a buyer
// or an admin (lifecycle.ts), by the confirmation sweeper when the reservation had expired
// (confirmations.ts), or by the expiry sweeper (expiry.ts). The change and its event are
// recorded in one transaction (outbox.ts); then the relay is kicked so the event goes out
// now rather than at its next tick, and the order's subscribers are told.
import type { Logger } from '../../platform/logger.js';
import type { CancellationReason, Order, PrismaClient } from './generated/prisma/client.js';
import type { LiveOrders } from './live.js';
import { recordTransition } from './outbox.js';
import type { OutboxRelay } from './relay.js';

export interface TerminalChangeDeps {
  prisma: PrismaClient;
  relay: Pick<OutboxRelay, 'kick'>;
  live?: Pick<LiveOrders, 'changed'>;
  log: Logger;
}

/** Ends a PENDING order; false (nothing written, nobody told) if it had already ended. */
export async function endOrder(deps: TerminalChangeDeps, order: Order, to: 'CANCELLED' | 'COMPLETED', reason?: CancellationReason): Promise<boolean> {
  if (!(await recordTransition(deps.prisma, order, to, reason))) return false;
  deps.relay.kick();
  deps.live?.changed(deps.prisma, order.id, deps.log);
  return true;
}
