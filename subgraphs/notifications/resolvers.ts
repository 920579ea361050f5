import { canActFor, requireService, requireUser } from '../../platform/authorization.js';
import { badInput, codedError, ErrorCode, forbidden, notFound, refusingRequest } from '../../platform/errors.js';
import { InvalidEventError, parseOrderEvent, type OrderEvent } from '../../platform/events.js';
import { isUuid, requireUuid } from '../../platform/ids.js';
import { liveEvent } from '../../platform/liveQueue.js';
import { pageSize, toConnection } from '../../platform/pagination.js';
import { DateTime } from '../../platform/scalars.js';
import type { NotificationsContext } from './context.js';
import { databaseAnswers } from './events.js';
import type { Notification } from './generated/prisma/client.js';
import type { EventReceipt, Resolvers } from './generated/resolvers.js';
import { notificationCursor, readCursor } from './queries.js';

/** The relay sends at most this many events per call. */
const MAX_EVENTS_PER_CALL = 100;

export const resolvers: Resolvers = {
  DateTime,

  Mutation: {
    async markNotificationRead(_parent, { id }, context) {
      const caller = requireUser(context.caller);
      const notification = await context.prisma.notification.findUnique({ where: { id: requireUuid(id, 'id') } });
      if (!notification) throw notFound('Notification', id);
      // Reading is for the owner (and admins); marking read only for the owner, whose inbox it is.
      if (notification.userId !== caller.userId) throw forbidden('You can only mark your own notifications read.');
      if (notification.readAt) return notification;
      await context.prisma.notification.updateMany({ where: { id: notification.id, readAt: null }, data: { readAt: new Date() } });
      return context.prisma.notification.findUniqueOrThrow({ where: { id: notification.id } });
    },

    async receiveOrderEvents(_parent, { events }, context) {
      requireService(context.caller, 'orders');
      if (events.length > MAX_EVENTS_PER_CALL) throw badInput(`At most ${MAX_EVENTS_PER_CALL} events per call.`, 'events');
      // Different orders side by side, one order's events in the order sent (the queue).
      return Promise.all(
        events.map(async (text): Promise<EventReceipt> => {
          const event = readEvent(text, context);
          if (!event) return { eventId: eventIdOf(text), outcome: 'REJECTED' };
          try {
            return { eventId: event.id, outcome: await context.intake.queue.run(event.orderId, () => context.intake.apply(context.prisma, event)) };
          } catch (error) {
            // Our own database being down is no event's fault: the relay hears "unavailable"
            // and tries later, holding nothing against the events. Anything else fails the
            // call, and the relay splits it until this event is alone (and, in the end, parks it).
            if (!(await databaseAnswers(context.prisma))) throw databaseUnavailable();
            context.log.error({ err: error, eventId: event.id, orderId: event.orderId }, 'could not apply an order event');
            throw error;
          }
        }),
      );
    },
  },

  Subscription: {
    notificationAdded: {
      subscribe: (_parent, _args, context) => context.live.watch(requireUser(context.caller)),
      resolve: liveEvent<Notification>,
    },
  },

  User: {
    // The users subgraph decides whether the user exists; here a user is an id with notifications.
    __resolveReference: (reference) => reference,
    async notifications(user, args, context) {
      requireUser(context.caller);
      if (!canActFor(context.caller, user.id)) throw forbidden('You can only see your own notifications.');
      const size = pageSize(args.first);
      if (!isUuid(user.id)) return toConnection([], size, notificationCursor, async () => 0);
      const userId = user.id.toLowerCase();
      const unreadOnly = args.unreadOnly ?? false;
      const rows = await context.loaders.userNotifications.load({ userId, take: size + 1, unreadOnly, before: readCursor(args.after) });
      return toConnection(rows, size, notificationCursor, () => context.loaders.userNotificationCount.load({ userId, unreadOnly }));
    },
  },

  Notification: {
    order: (notification) => ({ id: notification.orderId }),
  },
};

/** The event in `text`, or null (logged and counted) when it is not one this service reads. */
function readEvent(text: string, context: NotificationsContext): OrderEvent | null {
  try {
    return parseOrderEvent(text);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    context.log.error({ problem: error.message }, 'rejected an order event this service cannot read');
    context.intake.rejected();
    return null;
  }
}

/** The id of an event that could not be parsed, if it has one, so the sender can match its receipt. */
function eventIdOf(text: string): string {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' ? id.slice(0, 100) : '';
  } catch {
    return '';
  }
}

/** HTTP 503 with SUBGRAPH_UNAVAILABLE: this service cannot work now, whatever it is sent. */
function databaseUnavailable() {
  return refusingRequest(codedError(ErrorCode.SubgraphUnavailable, 'The notifications database does not answer; try again later.', { subgraph: 'notifications', reason: 'database' }), 503);
}
