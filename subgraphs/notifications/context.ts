import type { Metrics } from '../../platform/metrics.js';
import type { BaseContext } from '../../platform/subgraph.js';
import type { EventIntake } from './events.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { LiveNotifications } from './live.js';
import { createLoaders, type NotificationsLoaders } from './loaders.js';

export interface NotificationsContext extends BaseContext {
  prisma: PrismaClient;
  loaders: NotificationsLoaders;
  intake: EventIntake;
  live: LiveNotifications;
}

export function createContextFactory(intake: EventIntake, live: LiveNotifications) {
  return ({ prisma, metrics }: { prisma: PrismaClient; metrics: Metrics }) =>
    (base: BaseContext): NotificationsContext => ({ ...base, prisma, intake, live, loaders: createLoaders(prisma, metrics) });
}
