// Applying order events: each event makes exactly one notification, however many times it
// is delivered (its id is unique in the table, and an order's progress says which of its
// events are done), and one order's events apply in their sequence. Both transports end
// here: receiveOrderEvents (HTTP) and the JetStream consumer.
import { Counter, Histogram } from 'prom-client';
import type { OrderEvent } from '../../platform/events.js';
import type { Metrics } from '../../platform/metrics.js';
import { isUniqueViolation } from '../../platform/prismaErrors.js';
import type { Notification, PrismaClient } from './generated/prisma/client.js';
import { createKeyedQueue, type KeyedQueue } from './keyedQueue.js';
import { render } from './templates.js';

export type EventOutcome = 'APPLIED' | 'DUPLICATE' | 'DEFERRED' | 'REJECTED';

export interface EventIntake {
  /** Applies one event in its own transaction; concurrent deliveries of one order take turns. */
  apply(prisma: PrismaClient, event: OrderEvent): Promise<EventOutcome>;
  /** Counts an event that could not be parsed. */
  rejected(): void;
  /** Where both transports line events up: by order, a few orders at a time. */
  queue: KeyedQueue;
}

/** Events applied at once (each holds a database connection while it runs). */
const CONCURRENCY = 8;

export function createEventIntake(options: {
  channel: string;
  /** How long an event waits for an earlier one of its order before it is applied anyway. */
  orderWaitMs: number;
  metrics: Metrics;
  /** Called after a notification was stored (committed), so the sender and the subscribers hear of it at once. */
  onApplied?: (notification: Notification) => void;
}): EventIntake {
  const received = new Counter({ name: 'order_events_received_total', help: 'Order events received, by outcome', labelNames: ['outcome'], registers: [options.metrics.registry] });
  const lag = new Histogram({
    name: 'event_delivery_lag_seconds',
    help: 'From the order change in the orders service to its notification being stored here',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [options.metrics.registry],
  });

  return {
    async apply(prisma, event) {
      const message = render(event);
      let stored: Notification | undefined;
      const outcome = await prisma.$transaction(async (tx): Promise<EventOutcome> => {
        // One order at a time: two deliveries of its events cannot both pass the check below.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${event.orderId}, 4))`;
        const progress = await tx.orderEventProgress.findUnique({ where: { orderId: event.orderId } });
        const last = progress?.lastSequence ?? 0;
        if (event.sequence <= last) return 'DUPLICATE';
        const age = Date.now() - Date.parse(event.occurredAt);
        // An earlier event of this order is still on its way: ask for this one again later.
        // Past the wait it goes ahead (an order from before events existed has no
        // order.placed to wait for).
        if (event.sequence > last + 1 && age < options.orderWaitMs) return 'DEFERRED';
        await tx.orderEventProgress.upsert({
          where: { orderId: event.orderId },
          create: { orderId: event.orderId, lastSequence: event.sequence },
          update: { lastSequence: event.sequence },
        });
        stored = await tx.notification.create({
          data: {
            userId: event.data.userId,
            eventId: event.id,
            orderId: event.orderId,
            kind: event.type,
            channel: options.channel,
            subject: message.subject,
            body: message.body,
            eventAt: new Date(event.occurredAt),
          },
        });
        return 'APPLIED';
      }).catch((error: unknown) => {
        // The same event under another sequence number: its id is unique here.
        if (isUniqueViolation(error)) return 'DUPLICATE' as const;
        throw error;
      });
      received.inc({ outcome });
      if (outcome === 'APPLIED') {
        lag.observe(Math.max(0, Date.now() - Date.parse(event.occurredAt)) / 1000);
        options.onApplied?.(stored!);
      }
      return outcome;
    },
    rejected() {
      received.inc({ outcome: 'REJECTED' });
    },
    queue: createKeyedQueue(CONCURRENCY),
  };
}
