// Reading order events from JetStream (when NATS_URL is set): a durable pull consumer that
// every instance of this service shares, so each event goes to one of them and stays in
// the stream until it is acknowledged. An event is acknowledged only after its
// notification is committed; one that arrives before an earlier event of its order, or
// that fails to apply, is handed back (nak) to come again after a delay that doubles.
//
// Deliveries are bounded (NATS_MAX_DELIVER): at the last one, an event still waiting for
// its predecessor is applied anyway, and one that still fails goes to the dead-letter
// subject `<stream>.dead.<orderId>` (counted, logged) and is terminated, so it never
// comes again by itself. A database outage here is not the event's fault: the message is
// held (the server told we are still working on it) until the database answers, so it
// spends no delivery.
import { AckPolicy, DeliverPolicy, jetstream, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectEventStream, type EventStreamConnection } from '../../platform/eventStream.js';
import { deadLetterSubject, InvalidEventError, orderSubjects, parseOrderEvent, type OrderEvent } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { databaseAnswers, type EventIntake } from './events.js';
import type { PrismaClient } from './generated/prisma/client.js';

const ACK_WAIT_MS = 30_000;
const FIRST_REDELIVERY_MS = 500;
const MAX_REDELIVERY_MS = 30_000;
/** While the database is down: how often to look again (and tell the server we still hold the message). */
const DATABASE_POLL_MS = 1000;

/** The wait before delivery `delivery + 1`: 0.5 s, doubling, at most 30 s. */
const redeliveryDelayMs = (delivery: number) => Math.min(MAX_REDELIVERY_MS, FIRST_REDELIVERY_MS * 2 ** Math.min(Math.max(0, delivery - 1), 10));

export function startNatsConsumer(options: {
  url: string;
  stream: string;
  consumer: string;
  /** Deliveries of one event before it is applied anyway (deferred) or dead-lettered (failing). */
  maxDeliver: number;
  log: Logger;
  intake: EventIntake;
  prisma: PrismaClient;
}): () => Promise<void> {
  const { log, intake, prisma, stream } = options;
  const stopping = new AbortController();
  let connection: EventStreamConnection | undefined;
  let messages: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;
  const wanted: Partial<ConsumerConfig> = { max_deliver: options.maxDeliver, filter_subject: orderSubjects(stream) };

  async function consumeOnce(): Promise<void> {
    connection = await connectEventStream(options.url, stream, 'notifications', log);
    const manager = connection.manager;
    const existing = await manager.consumers.info(stream, options.consumer).catch(() => undefined);
    if (!existing) {
      await manager.consumers.add(stream, {
        durable_name: options.consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ACK_WAIT_MS),
        ...wanted,
      });
    } else if (existing.config.max_deliver !== wanted.max_deliver || existing.config.filter_subject !== wanted.filter_subject) {
      // A consumer made by an earlier version redelivered forever and read every subject.
      await manager.consumers.update(stream, options.consumer, wanted);
      log.info({ stream, consumer: options.consumer, ...wanted }, 'event consumer settings updated');
    }
    const js = jetstream(connection.nats);
    const consumer = await js.consumers.get(stream, options.consumer);
    messages = await consumer.consume({ max_messages: 64 });
    log.info({ stream, consumer: options.consumer }, 'reading order events from NATS JetStream');

    // Private: puts a message on the dead-letter subject, then terminates it.
    const deadLetter = async (message: JsMsg, orderId: string, reason: string) => {
      const why = reason.replace(/[\r\n]+/g, ' ').slice(0, 500);
      const head = headers();
      head.set('Dead-Letter-Reason', why);
      head.set('Original-Subject', message.subject);
      head.set('Deliveries', String(message.info.deliveryCount));
      try {
        // The original's stream sequence in the id: the same event dead-lettered again
        // (after an operator sent it back) is stored again, not taken for a duplicate.
        await js.publish(deadLetterSubject(stream, orderId), message.data, { headers: head, msgID: `dead-${message.seq}-${message.info.deliveryCount}` });
      } catch (error) {
        // Not terminated: it stays in the stream, unacknowledged, for an operator to find.
        log.error({ err: error, subject: message.subject, reason: why }, 'could not dead-letter an order event; it stays in the stream unacknowledged');
        message.nak();
        return;
      }
      intake.deadLettered();
      log.error({ subject: message.subject, deadLetter: deadLetterSubject(stream, orderId), deliveries: message.info.deliveryCount, reason: why }, 'order event dead-lettered; send it back once the cause is fixed (docs/order-events.md)');
      message.term(why);
    };

    // Private: applies one event; see the file's comment for what each outcome does.
    const handle = async (message: JsMsg, event: OrderEvent) => {
      const delivery = message.info.deliveryCount;
      const last = delivery >= options.maxDeliver;
      for (;;) {
        try {
          const outcome = await intake.apply(prisma, event, { force: last, headers: { traceparent: message.headers?.get('traceparent'), tracestate: message.headers?.get('tracestate') } });
          if (outcome === 'DEFERRED') message.nak(redeliveryDelayMs(delivery));
          else message.ack();
          return;
        } catch (error) {
          if (!(await databaseAnswers(prisma))) {
            if (await databaseBack(message)) continue;
            message.nak(); // stopping: another instance, or this one restarted, takes it
            return;
          }
          if (last) return deadLetter(message, event.orderId, (error as Error).message ?? String(error));
          log.warn({ err: error, eventId: event.id, delivery }, 'could not apply an order event; it will be redelivered');
          message.nak(redeliveryDelayMs(delivery));
          return;
        }
      }
    };

    for await (const message of messages) {
      let event: OrderEvent;
      try {
        event = parseOrderEvent(message.string());
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        log.error({ subject: message.subject, problem: error.message }, 'an order event this service cannot read');
        intake.rejected();
        await deadLetter(message, message.subject.slice(message.subject.lastIndexOf('.') + 1), error.message);
        continue;
      }
      // Several orders at once, each order's events in the order they came.
      await intake.queue.room();
      void intake.queue.run(event.orderId, () => handle(message, event));
    }
    await intake.queue.idle();
  }

  // Private: waits for the database, keeping the message meanwhile; false when stopping.
  async function databaseBack(message: JsMsg): Promise<boolean> {
    log.warn({ subject: message.subject }, 'the database does not answer; holding the order event until it does');
    while (!stopping.signal.aborted) {
      message.working();
      const stopped = await sleep(DATABASE_POLL_MS, false, { signal: stopping.signal }).catch(() => true);
      if (stopped) return false;
      if (await databaseAnswers(prisma)) return true;
    }
    return false;
  }

  const done = (async () => {
    let attempt = 0;
    while (!stopping.signal.aborted) {
      try {
        await consumeOnce();
        attempt = 0;
      } catch (error) {
        if (stopping.signal.aborted) break;
        attempt += 1;
        log.warn({ err: error, attempt }, 'NATS consumer stopped; reconnecting');
      }
      await connection?.close().catch(() => {});
      connection = undefined;
      if (!stopping.signal.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
        });
      }
    }
  })();

  return async () => {
    stopping.abort();
    wake?.();
    await messages?.close().catch(() => {});
    await done;
    await connection?.close().catch(() => {});
  };
}
