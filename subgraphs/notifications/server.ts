// Builds the notifications subgraph: it owns notifications, made from the orders service's
// events and sent through a channel.
import { createTokens } from '../../platform/auth.js';
import { bootSubgraph, type SubgraphService } from '../../platform/bootstrap.js';
import type { Database } from '../../platform/database.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { createMetrics } from '../../platform/metrics.js';
import { fromRoot } from '../../platform/paths.js';
import { emailChannel, logChannel } from './channels.js';
import type { NotificationsConfig } from './config.js';
import { createContextFactory, type NotificationsContext } from './context.js';
import { createSender } from './delivery.js';
import { smsChannel } from './smsChannel.js';
import { createEventIntake } from './events.js';
import { PrismaClient } from './generated/prisma/client.js';
import { startNatsConsumer } from './natsConsumer.js';
import { usersRecipientLookup } from './recipients.js';
import { resolvers } from './resolvers.js';
import { createLiveNotifications } from './live.js';
import { openPubSub } from '../../platform/pubsub.js';

export type NotificationsService = SubgraphService<PrismaClient, NotificationsContext>;

export function createNotificationsService(config: NotificationsConfig, options: { database?: Database; log?: Logger } = {}): Promise<NotificationsService> {
  const metrics = createMetrics('notifications');
  const log = options.log ?? createLogger('notifications', config.platform.logLevel);
  const tokens = createTokens(config.platform, config.identity);
  const channel = config.smtpUrl ? emailChannel({ smtpUrl: config.smtpUrl, from: config.mailFrom }) : logChannel(log);
  const lookup = usersRecipientLookup({ url: config.usersUrl, timeoutMs: config.usersTimeoutMs, tokens });
  const settings = { intervalMs: config.sendSweepMs, maxAttempts: config.sendMaxAttempts, retryBaseMs: config.sendRetryBaseMs, claimMs: config.sendClaimMs };
  const sender = createSender({ channel, lookup, settings, metrics });
  // SMS is a second delivery of each notification, beside the main channel, with its own sender.
  const smsSender =
    config.smsProviderUrl && config.smsProviderToken
      ? createSender({
          channel: smsChannel({ url: config.smsProviderUrl, token: config.smsProviderToken, from: config.smsFrom, timeoutMs: config.smsTimeoutMs }),
          lookup,
          settings,
          metrics,
          table: 'sms_deliveries',
        })
      : undefined;
  const pubsub = openPubSub({ url: config.natsUrl, stream: config.natsStream }, 'notifications', log);
  const live = createLiveNotifications(pubsub, metrics);
  const intake = createEventIntake({
    channel: channel.name,
    sms: smsSender !== undefined,
    orderWaitMs: config.eventOrderWaitMs,
    metrics,
    onApplied: (notification) => {
      sender.follow(notification.id);
      sender.kick();
      smsSender?.kick();
      live.added(notification);
    },
  });
  return bootSubgraph(
    {
      name: 'notifications',
      schemaFile: fromRoot('subgraphs/notifications/schema.graphql'),
      resolvers,
      tracedFields: ['Mutation.receiveOrderEvents'],
      createPrisma: (adapter) => new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] }),
      createContext: createContextFactory(intake, live),
      background(prisma, log) {
        const stopSender = sender.start(prisma, log);
        const stopSmsSender = smsSender?.start(prisma, log);
        const { natsUrl, stream } = config.events;
        const stopConsumer = natsUrl
          ? startNatsConsumer({
              url: natsUrl,
              stream,
              consumer: config.natsConsumer,
              maxDeliver: config.natsMaxDeliver,
              log,
              intake,
              prisma,
            })
          : async () => {};
        return async () => {
          // Events first: nothing new to send once the sender stops.
          await stopConsumer();
          await Promise.all([stopSender(), stopSmsSender?.()]);
        };
      },
    },
    config,
    { ...options, log, metrics, pubsub },
  );
}
