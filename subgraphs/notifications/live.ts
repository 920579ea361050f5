// notificationAdded's events: each notification, once stored, goes on the bus once; every
// notifications instance hears it and hands it to the subscriptions of its recipient.
import type { UserCaller } from '../../platform/authorization.js';
import { liveSubscriptionsGauge } from '../../platform/liveGauge.js';
import { liveQueue, type LiveQueue } from '../../platform/liveQueue.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { Notification } from './generated/prisma/client.js';

const TOPIC = 'notifications.added';
const DATES = ['createdAt', 'readAt', 'sentAt', 'eventAt', 'nextAttemptAt'] as const;

export interface LiveNotifications {
  /** After the commit that stored `notification`. */
  added(notification: Notification): void;
  /** The caller's own new notifications (an admin's too: an inbox is its owner's). */
  watch(caller: UserCaller): LiveQueue<Notification>;
}

export function createLiveNotifications(pubsub: PubSub, metrics: Metrics): LiveNotifications {
  const watchers = new Map<string, Set<(notification: Notification) => void>>();
  const gauge = liveSubscriptionsGauge(metrics);
  pubsub.subscribe(TOPIC, (payload) => {
    const notification = revive(payload as Record<string, unknown>);
    for (const watcher of watchers.get(notification.userId) ?? []) watcher(notification);
  });
  return {
    added: (notification) => pubsub.publish(TOPIC, notification),
    watch(caller) {
      const mine = watchers.get(caller.userId) ?? new Set();
      watchers.set(caller.userId, mine);
      const queue = liveQueue<Notification>(() => {
        mine.delete(watcher);
        if (mine.size === 0) watchers.delete(caller.userId);
        gauge.dec({ field: 'notificationAdded' });
      });
      const watcher = (notification: Notification) => queue.push(notification);
      mine.add(watcher);
      gauge.inc({ field: 'notificationAdded' });
      return queue;
    },
  };
}

// Private: the bus carries JSON; the resolvers expect the row's dates.
function revive(payload: Record<string, unknown>): Notification {
  const row = { ...payload };
  for (const field of DATES) if (typeof row[field] === 'string') row[field] = new Date(row[field] as string);
  return row as unknown as Notification;
}
