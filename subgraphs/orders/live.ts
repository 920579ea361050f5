// orderUpdated's events: after each commit that changes an order (placed, cancelled,
// completed), the order as it now stands, with its items, goes on the bus once; every
// orders instance hears it and hands it to the subscriptions it holds that may see it.
//
// Exactly once and in order per order: the bus delivers each event once to each instance
// (platform/pubsub.ts), and an order's events carry its outbox sequence (1 placed, 2 its
// one terminal change), so a subscription drops an event older than one it already
// passed on: two instances publishing one order's events at nearly the same moment cannot
// reach a client out of order.
import { canActFor, type UserCaller } from '../../platform/authorization.js';
import { liveSubscriptionsGauge } from '../../platform/liveGauge.js';
import { liveQueue, type LiveQueue } from '../../platform/liveQueue.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { Order, OrderItem, PrismaClient } from './generated/prisma/client.js';

const TOPIC = 'orders.changed';
/** Orders a subscription remembers the last sequence of (an admin watching every order). */
const REMEMBERED_ORDERS = 10_000;
const SEQUENCE = { PENDING: 1, CANCELLED: 2, COMPLETED: 2 } as const;

/** What travels on the bus: JSON, so dates are strings until `revive`. */
interface OrderChange {
  order: Omit<Order, 'createdAt' | 'updatedAt' | 'confirmedAt'> & { createdAt: string; updatedAt: string };
  items: Omit<OrderItem, 'id' | 'orderId' | 'position'>[];
  sequence: number;
}

/** An order as orderUpdated resolves it: the row, with its items already at hand. */
export type LiveOrder = Order & { liveItems: Pick<OrderItem, 'productId' | 'quantity' | 'unitPriceCents'>[] };

export interface LiveOrders {
  /** After the commit that changed `orderId`: reads it as it now stands and publishes it. */
  changed(prisma: PrismaClient, orderId: string, log: Logger): void;
  /** A subscription's events: the changes of `orderId`, or of every order `caller` may see. */
  watch(caller: UserCaller, orderId: string | null): LiveQueue<LiveOrder>;
}

export function createLiveOrders(pubsub: PubSub, metrics: Metrics): LiveOrders {
  const watchers = new Set<(change: OrderChange) => void>();
  const gauge = liveSubscriptionsGauge(metrics);
  // One listener per process, from boot: the bus has it before the first subscriber.
  pubsub.subscribe(TOPIC, (payload) => {
    for (const watcher of watchers) watcher(payload as OrderChange);
  });

  return {
    changed: (prisma, orderId, log) => publishOrderChange(pubsub, prisma, orderId, log),

    watch(caller, orderId) {
      const lastSequence = new Map<string, number>();
      const watcher = (change: OrderChange) => {
        const { order } = change;
        if (orderId && order.id !== orderId) return;
        // The owner and admins, as for the order query: checked at every event.
        if (!canActFor(caller, order.userId)) return;
        if ((lastSequence.get(order.id) ?? 0) >= change.sequence) return;
        lastSequence.set(order.id, change.sequence);
        if (lastSequence.size > REMEMBERED_ORDERS) lastSequence.delete(lastSequence.keys().next().value!);
        queue.push(revive(change));
      };
      const queue = liveQueue<LiveOrder>(() => {
        watchers.delete(watcher);
        gauge.dec({ field: 'orderUpdated' });
      });
      watchers.add(watcher);
      gauge.inc({ field: 'orderUpdated' });
      return queue;
    },
  };
}

/**
 * After the commit that changed `orderId`: reads it as it now stands and publishes it to
 * every orders instance's subscribers. The sweepers, which run outside any request, use
 * it as they are.
 */
export function publishOrderChange(pubsub: PubSub, prisma: PrismaClient, orderId: string, log: Logger): void {
  prisma.order
    .findUnique({ where: { id: orderId }, include: { items: { orderBy: { position: 'asc' } } } })
    .then((order) => {
      if (!order) return;
      const { items, confirmedAt: _confirmedAt, ...row } = order;
      const change: OrderChange = {
        order: { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() },
        items: items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
        sequence: SEQUENCE[order.status],
      };
      pubsub.publish(TOPIC, change);
    })
    .catch((error: unknown) => log.warn({ err: error, orderId }, 'could not publish an order change to its subscribers'));
}

function revive({ order, items }: OrderChange): LiveOrder {
  return { ...order, createdAt: new Date(order.createdAt), updatedAt: new Date(order.updatedAt), confirmedAt: null, liveItems: items };
}
