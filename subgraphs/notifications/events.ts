// Applying order events: each event makes exactly one notification, however many times it
// is delivered (its id is unique in the table), and one order's events apply in their
// sequence: an event that comes before its predecessor waits (DEFERRED) until it arrives
// or until the wait is over. A predecessor that arrives after all (a late order.placed,
// once its order's cancellation went ahead) still makes its notification. Both transports
// end here: receiveOrderEvents (HTTP) and the JetStream consumer.
import { Counter, Histogram } from 'prom-client';
import { eventAttributes, eventContext } from '../../platform/eventTracing.js';
import type { OrderEvent } from '../../platform/events.js';
import { inSpan, SpanKind, type TraceCarrier } from '../../platform/tracing.js';
import type { Metrics } from '../../platform/metrics.js';
import { isUniqueViolation } from '../../platform/prismaErrors.js';
import type { Notification, PrismaClient } from './generated/prisma/client.js';
import { createKeyedQueue, type KeyedQueue } from './keyedQueue.js';
import { render } from './templates.js';
import type { EventOutcome } from './generated/schema.js';

export type { EventOutcome };

export interface EventIntake {
  /**
   * Applies one event in its own transaction; concurrent deliveries of one order take
   * turns. `force`: apply it even if an earlier event of its order is missing (the
   * transport will not bring it again).
   */
  apply(prisma: PrismaClient, event: OrderEvent, options?: { force?: boolean; headers?: TraceCarrier }): Promise<EventOutcome>;
  /** Counts an event that could not be parsed. */
  rejected(): void;
  /** Counts an event given up on and put in the dead letters (NATS). */
  deadLettered(): void;
  /** Where both transports line events up: by order, a few orders at a time. */
  queue: KeyedQueue;
}

/** Events applied at once (each holds a database connection while it runs). */
const CONCURRENCY = 8;

export function createEventIntake(options: {
  channel: string;
  /** The SMS channel is configured: each notification gets its SMS copy, in the same transaction. */
  sms?: boolean;
  /** How long an event waits for an earlier one of its order before it is applied anyway. */
  orderWaitMs: number;
  metrics: Metrics;
  /** Called after a notification was stored (committed), so the sender and the subscribers hear of it at once. */
  onApplied?: (notification: Notification) => void;
}): EventIntake {
  const received = new Counter({ name: 'order_events_received_total', help: 'Order events received, by outcome', labelNames: ['outcome'], registers: [options.metrics.registry] });
  const deadLettered = new Counter({ name: 'order_events_dead_lettered_total', help: 'Order events given up on after the last delivery, put on the dead-letter subject (NATS)', registers: [options.metrics.registry] });
  const lag = new Histogram({
    name: 'event_delivery_lag_seconds',
    help: 'From the order change in the orders service to its notification being stored here',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [options.metrics.registry],
  });

  return {
    // A consumer span in the event's trace (platform/eventTracing.ts): the notification
    // sent later continues from it (delivery.ts).
    apply: (prisma, event, { force = false, headers } = {}) =>
      inSpan(`${event.type} process`, { kind: SpanKind.CONSUMER, parent: eventContext(event, headers), attributes: eventAttributes(event) }, async (span) => {
        const outcome = await applyEvent(prisma, event, force);
        span.setAttribute('order.event.outcome', outcome);
        return outcome;
      }),
    rejected() {
      received.inc({ outcome: 'REJECTED' });
    },
    deadLettered() {
      deadLettered.inc();
    },
    queue: createKeyedQueue(CONCURRENCY),
  };

  async function applyEvent(prisma: PrismaClient, event: OrderEvent, force: boolean): Promise<EventOutcome> {
    const message = render(event);
    let stored: Notification | undefined;
    const outcome = await prisma.$transaction(async (tx): Promise<EventOutcome> => {
      // One order at a time: two deliveries of its events cannot both pass the checks below.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${event.orderId}, 4))`;
      const progress = await tx.orderEventProgress.findUnique({ where: { orderId: event.orderId } });
      const last = progress?.lastSequence ?? 0;
      // This place in the order's sequence is taken: by this very event (a redelivery)
      // or by another (a second terminal event cannot be applied).
      if (event.sequence === last) return 'DUPLICATE';
      // Earlier than the last one applied: a redelivery (its notification exists) or an
      // event that arrived late, after its successor went ahead without it.
      if (event.sequence < last && (await tx.notification.findUnique({ where: { eventId: event.id }, select: { id: true } }))) return 'DUPLICATE';
      const age = Date.now() - Date.parse(event.occurredAt);
      // An earlier event of this order is still on its way: ask for this one again later.
      // Past the wait it goes ahead (an order from before events existed has no
      // order.placed to wait for).
      if (event.sequence > last + 1 && age < options.orderWaitMs && !force) return 'DEFERRED';
      // An event older than the last applied one arrived late: it makes its notification,
      // and the order's progress stays where it is.
      if (event.sequence > last) {
        await tx.orderEventProgress.upsert({
          where: { orderId: event.orderId },
          create: { orderId: event.orderId, lastSequence: event.sequence },
          update: { lastSequence: event.sequence },
        });
      }
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
          // Made for every notification: whether it is sent depends on the recipient's
          // choice when it is due, which users owns and this transaction does not ask.
          ...(options.sms ? { sms: { create: {} } } : {}),
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
  }
}

/**
 * Whether this service's database answers at all. After an event failed to apply, it
 * tells whose fault that was: the event's (it answers), or an outage here that no event
 * should pay for (it does not).
 */
export async function databaseAnswers(prisma: PrismaClient): Promise<boolean> {
  return prisma.$queryRaw`SELECT 1`.then(() => true, () => false);
}
