// Per-request batching: each user's notifications page for many users in one statement
// (`orders { user { notifications } }` asks for many users at once), and their counts.
import DataLoader from 'dataloader';
import { observeBatches, pagesLoader } from '../../platform/loaders.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Notification, PrismaClient } from './generated/prisma/client.js';
import { notificationsOfUsers, type UserNotificationsPage } from './queries.js';

export interface NotificationsLoaders {
  userNotifications: DataLoader<UserNotificationsPage, Notification[], string>;
  userNotificationCount: DataLoader<{ userId: string; unreadOnly: boolean }, number, string>;
}

export function createLoaders(prisma: PrismaClient, metrics: Metrics): NotificationsLoaders {
  return {
    userNotifications: pagesLoader<UserNotificationsPage, Notification>(
      (userIds, { take, unreadOnly, before }) => notificationsOfUsers(prisma, { userIds, take, unreadOnly, before }),
      observeBatches(metrics, 'userNotifications'),
    ),

    userNotificationCount: new DataLoader(
      async (keys) => {
        const groups = Map.groupBy(keys, (key) => key.unreadOnly);
        const counts = new Map<string, number>();
        for (const [unreadOnly, group] of groups) {
          const rows = await prisma.notification.groupBy({
            by: ['userId'],
            where: { userId: { in: group.map((key) => key.userId) }, ...(unreadOnly ? { readAt: null } : {}) },
            _count: { _all: true },
          });
          for (const row of rows) counts.set(`${row.userId}:${unreadOnly}`, row._count._all);
        }
        return keys.map((key) => counts.get(`${key.userId}:${key.unreadOnly}`) ?? 0);
      },
      { cacheKeyFn: (key) => `${key.userId}:${key.unreadOnly}` },
    ),
  };
}
