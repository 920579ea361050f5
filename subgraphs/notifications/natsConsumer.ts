// Reading order events from JetStream (when NATS_URL is set): a durable pull consumer that
// every instance of this service shares, so each event goes to one of them and stays in
// the stream until it is acknowledged. An event is acknowledged only after its
// notification is committed; one that arrives before an earlier event of its order, or
// that meets a database error, is handed back (nak) to come again after a delay.
import { AckPolicy, DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { connectEventStream, type EventStreamConnection } from '../../platform/eventStream.js';
import { InvalidEventError, parseOrderEvent, type OrderEvent } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { EventIntake } from './events.js';
import type { PrismaClient } from './generated/prisma/client.js';

const ACK_WAIT_MS = 30_000;
const DEFERRED_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 30_000;

export function startNatsConsumer(options: {
  url: string;
  stream: string;
  consumer: string;
  log: Logger;
  intake: EventIntake;
  prisma: PrismaClient;
}): () => Promise<void> {
  const { log, intake, prisma } = options;
  let stopping = false;
  let connection: EventStreamConnection | undefined;
  let messages: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;

  async function consumeOnce(): Promise<void> {
    connection = await connectEventStream(options.url, options.stream, 'notifications', log);
    try {
      await connection.manager.consumers.info(options.stream, options.consumer);
    } catch {
      await connection.manager.consumers.add(options.stream, {
        durable_name: options.consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ACK_WAIT_MS),
        max_deliver: -1,
      });
    }
    const consumer = await jetstream(connection.nats).consumers.get(options.stream, options.consumer);
    messages = await consumer.consume({ max_messages: 64 });
    log.info({ stream: options.stream, consumer: options.consumer }, 'reading order events from NATS JetStream');
    for await (const message of messages) {
      let event: OrderEvent;
      try {
        event = parseOrderEvent(message.string());
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        log.error({ subject: message.subject, problem: error.message }, 'dropping an order event this service cannot read');
        intake.rejected();
        message.term(error.message);
        continue;
      }
      // Several orders at once, each order's events in the order they came.
      await intake.queue.room();
      void intake.queue.run(event.orderId, async () => {
        try {
          const outcome = await intake.apply(prisma, event);
          if (outcome === 'DEFERRED') message.nak(DEFERRED_DELAY_MS);
          else message.ack();
        } catch (error) {
          const attempt = message.info.deliveryCount;
          log.warn({ err: error, eventId: event.id, attempt }, 'could not apply an order event; it will be redelivered');
          message.nak(Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** Math.min(attempt, 10)));
        }
      });
    }
    await intake.queue.idle();
  }

  const done = (async () => {
    let attempt = 0;
    while (!stopping) {
      try {
        await consumeOnce();
        attempt = 0;
      } catch (error) {
        if (stopping) break;
        attempt += 1;
        log.warn({ err: error, attempt }, 'NATS consumer stopped; reconnecting');
      }
      await connection?.close().catch(() => {});
      connection = undefined;
      if (!stopping) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
        });
      }
    }
  })();

  return async () => {
    stopping = true;
    wake?.();
    await messages?.close().catch(() => {});
    await done;
    await connection?.close().catch(() => {});
  };
}
