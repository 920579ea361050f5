// productAvailabilityChanged's events. A committed change of stock or reserved units
// names its products on the bus; every inventory instance hears the names and, at most
// once per product per COALESCE_MS, reads the products that changed (one statement for
// all of them) and hands each to the subscriptions watching it. A burst of orders for one
// product costs its watchers one event per window, with the latest figures, not one per order.
import { liveSubscriptionsGauge } from '../../platform/liveGauge.js';
import { liveQueue, type LiveQueue } from '../../platform/liveQueue.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { PrismaClient, Product } from './generated/prisma/client.js';

const TOPIC = 'products.changed';
/** The contract: at most one event per product per 250 ms. */
export const COALESCE_MS = 250;

export interface LiveProducts {
  /** After a commit that moved these products' stock or reserved units. */
  changed(productIds: string[]): void;
  watch(productIds: string[]): LiveQueue<Product>;
}

export function createLiveProducts(pubsub: PubSub, prisma: PrismaClient, metrics: Metrics, log: Logger): LiveProducts {
  const watchers = new Map<string, Set<(product: Product) => void>>();
  const gauge = liveSubscriptionsGauge(metrics);
  // Products heard of since the last read, and whether a window is open.
  let pending = new Set<string>();
  let window: NodeJS.Timeout | undefined;

  async function emit() {
    const ids = [...pending].filter((id) => watchers.has(id));
    pending = new Set();
    if (ids.length === 0) return;
    const products = await prisma.product.findMany({ where: { id: { in: ids } } });
    for (const product of products) for (const watcher of watchers.get(product.id) ?? []) watcher(product);
  }

  // Leading edge at once, then whatever came in during the window at its end.
  function schedule() {
    if (window) return;
    emit().catch((error: unknown) => log.warn({ err: error }, 'could not read changed products for their subscribers'));
    window = setTimeout(() => {
      window = undefined;
      if (pending.size > 0) schedule();
    }, COALESCE_MS);
    window.unref();
  }

  pubsub.subscribe(TOPIC, (payload) => {
    for (const id of (payload as { ids?: unknown }).ids as string[] ?? []) if (typeof id === 'string') pending.add(id);
    schedule();
  });

  return {
    changed: (productIds) => {
      if (productIds.length > 0) pubsub.publish(TOPIC, { ids: productIds });
    },
    watch(productIds) {
      const queue = liveQueue<Product>(() => {
        for (const id of productIds) {
          watchers.get(id)?.delete(watcher);
          if (watchers.get(id)?.size === 0) watchers.delete(id);
        }
        gauge.dec({ field: 'productAvailabilityChanged' });
      });
      const watcher = (product: Product) => queue.push(product);
      for (const id of productIds) {
        if (!watchers.has(id)) watchers.set(id, new Set());
        watchers.get(id)!.add(watcher);
      }
      gauge.inc({ field: 'productAvailabilityChanged' });
      return queue;
    },
  };
}
