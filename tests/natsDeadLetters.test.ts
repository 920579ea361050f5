// Order events over NATS JetStream that cannot be applied or published (with
// TEST_NATS_URL): the consumer's deliveries are bounded, and at the last failed one the
// event goes to the dead-letter subject `<stream>.dead.<orderId>` (counted, logged,
// terminated) while every other event is applied; a message larger than the server's max
// payload is refused at publish, retried alone and parked in orders' outbox_dead_letters;
// an operator sends a dead letter back once the cause is fixed; a stream and consumer made
// by the previous version are brought up to date.
import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { connectEventStream } from '../platform/eventStream.js';
import { orderSubjects, streamSubjects } from '../platform/events.js';
import { createMetrics } from '../platform/metrics.js';
import { createEventIntake } from '../subgraphs/notifications/events.js';
import { startNatsConsumer } from '../subgraphs/notifications/natsConsumer.js';
import type { NotificationsService } from '../subgraphs/notifications/server.js';
import { listDeadLetters } from '../subgraphs/orders/deadLetters.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { listStreamDeadLetters, requeueStreamDeadLetters } from '../subgraphs/orders/streamDeadLetters.js';
import { truncateAll } from './support/execute.js';
import { captureLog, type CapturedLog } from './support/logs.js';
import { deleteStream } from './support/nats.js';
import { acceptAllNotifications, placedEvent, refuseNotificationsOf } from './support/poison.js';
import { bootNotifications, bootOrders } from './support/services.js';
import { counterValue, waitFor } from './support/wait.js';

const NATS_URL = process.env.TEST_NATS_URL;
const describeWithNats = NATS_URL ? describe : describe.skip;
const STREAM = `TEST_DEAD_${randomUUID().slice(0, 8)}`;
const MAX_DELIVER = 3;
const patiently = { timeoutMs: 120_000, everyMs: 100 };

describeWithNats('order events over NATS JetStream that cannot be applied or published', () => {
  let notifications: NotificationsService;
  let orders: OrdersService;
  let logs: CapturedLog;
  const stored = () => notifications.prisma.notification.count();

  beforeAll(async () => {
    logs = captureLog('notifications', 'warn');
    notifications = await bootNotifications({ log: logs.log, env: { NATS_URL: NATS_URL!, NATS_STREAM: STREAM, NATS_MAX_DELIVER: String(MAX_DELIVER) } });
    await notifications.listen(0, '127.0.0.1');
    orders = await bootOrders({
      env: { NATS_URL: NATS_URL!, NATS_STREAM: STREAM, OUTBOX_RELAY_MS: '100', EVENTS_TIMEOUT_MS: '60000', OUTBOX_MAX_ATTEMPTS: '2', OUTBOX_RETRY_BASE_MS: '3600000' },
    });
    await orders.listen(0, '127.0.0.1');
  }, 180_000);
  afterAll(async () => {
    await orders?.stop();
    await notifications?.stop();
    await deleteStream(NATS_URL!, STREAM);
  });
  beforeEach(async () => {
    await acceptAllNotifications(notifications.database);
    await Promise.all([truncateAll(orders.database), truncateAll(notifications.database)]);
  });

  it(`an event that fails at every delivery goes to the dead-letter subject after ${MAX_DELIVER} deliveries, counted and logged; the other 200 are applied`, async () => {
    const rows = Array.from({ length: 200 }, () => placedEvent());
    const poison = placedEvent();
    rows.splice(10, 0, poison);
    await refuseNotificationsOf(notifications.database, poison.orderId);
    const deadBefore = await counterValue(notifications.metrics.registry, 'order_events_dead_lettered_total', 'service', 'notifications');
    await orders.prisma.outboxEvent.createMany({ data: rows });
    orders.relay.kick();

    await waitFor('the 200 others applied', async () => (await stored()) === 200, patiently);
    await waitFor('the poison dead-lettered', async () => (await counterValue(notifications.metrics.registry, 'order_events_dead_lettered_total', 'service', 'notifications')) === deadBefore + 1, patiently);
    // NATS took every event: nothing waits or is parked in the outbox.
    expect(await orders.prisma.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);

    const nats = await connect({ servers: NATS_URL });
    try {
      const manager = await jetstreamManager(nats);
      const dead = await manager.streams.getMessage(STREAM, { last_by_subj: `${STREAM}.dead.${poison.orderId}` });
      expect(dead!.json<{ id: string }>().id).toBe(poison.id);
      expect(dead!.header.get('Deliveries')).toBe(String(MAX_DELIVER));
      expect(dead!.header.get('Original-Subject')).toBe(`${STREAM}.order.${poison.orderId}`);
      expect(dead!.header.get('Dead-Letter-Reason')).toMatch(/test fault/);
      // Terminated: nothing of it is left for the consumer, which reads no dead letters.
      const consumer = await manager.consumers.info(STREAM, 'notifications');
      expect(consumer.config).toMatchObject({ max_deliver: MAX_DELIVER, filter_subject: orderSubjects(STREAM) });
      await waitFor('nothing pending', async () => {
        const info = await manager.consumers.info(STREAM, 'notifications');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, patiently);
    } finally {
      await nats.close();
    }
    const line = logs.lines().find((each) => /dead-lettered/.test(each.msg));
    expect(line).toMatchObject({ level: 50, subject: `${STREAM}.order.${poison.orderId}`, deadLetter: `${STREAM}.dead.${poison.orderId}`, deliveries: MAX_DELIVER });
    expect(await notifications.prisma.notification.count({ where: { orderId: poison.orderId } })).toBe(0);

    // The cause fixed, the operator sends it back (what `npm run dead-letters -- requeue` does).
    await acceptAllNotifications(notifications.database);
    const stream = await connectEventStream(NATS_URL!, STREAM, 'operator', captureLog('operator').log);
    try {
      expect((await listStreamDeadLetters(stream, STREAM)).map((letter) => [letter.eventId, letter.deliveries])).toEqual([[poison.id, String(MAX_DELIVER)]]);
      expect(await requeueStreamDeadLetters(stream, STREAM)).toEqual([poison.id]);
      expect(await listStreamDeadLetters(stream, STREAM)).toEqual([]);
    } finally {
      await stream.close();
    }
    await waitFor('the requeued event applied', async () => (await notifications.prisma.notification.count({ where: { eventId: poison.id } })) === 1, patiently);
  }, 300_000);

  it('an event larger than the server’s max payload is refused at publish, retried alone, and parked in the outbox’s dead letters; the others go', async () => {
    const rows = Array.from({ length: 20 }, () => placedEvent());
    const poison = placedEvent({ nameLength: 1_100_000 });
    rows.splice(5, 0, poison);
    const parkedBefore = await counterValue(orders.metrics.registry, 'outbox_dead_lettered_total', 'transport', 'nats');
    await orders.prisma.outboxEvent.createMany({ data: rows });
    orders.relay.kick();

    await waitFor('the 20 others applied', async () => (await stored()) === 20, patiently);
    const refused = await orders.prisma.outboxEvent.findUniqueOrThrow({ where: { id: poison.id } });
    expect(refused).toMatchObject({ attempts: 1, publishedAt: null, lastError: expect.stringMatching(/max_payload/) });
    await orders.prisma.outboxEvent.update({ where: { id: poison.id }, data: { claimedUntil: new Date(Date.now() - 1000) } }); // its backoff over
    orders.relay.kick();
    await waitFor('the poison parked', async () => (await listDeadLetters(orders.prisma)).length === 1, patiently);
    expect((await listDeadLetters(orders.prisma))[0]).toMatchObject({ id: poison.id, attempts: 2, reason: expect.stringMatching(/max_payload/) });
    expect(await counterValue(orders.metrics.registry, 'outbox_dead_lettered_total', 'transport', 'nats')).toBe(parkedBefore + 1);
  }, 300_000);

  it('a stream and consumer made by the previous version get the dead-letter subjects and bounded deliveries', async () => {
    const old = `TEST_OLD_${randomUUID().slice(0, 8)}`;
    const nats = await connect({ servers: NATS_URL });
    const manager = await jetstreamManager(nats);
    await manager.streams.add({ name: old, subjects: [`${old}.order.*`] });
    await manager.consumers.add(old, { durable_name: 'notifications', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: -1 });
    const intake = createEventIntake({ channel: 'log', orderWaitMs: 300_000, metrics: createMetrics('old-stream') });
    const stop = startNatsConsumer({ url: NATS_URL!, stream: old, consumer: 'notifications', maxDeliver: MAX_DELIVER, log: captureLog('notifications').log, intake, prisma: notifications.prisma });
    try {
      await waitFor('the consumer updated', async () => (await manager.consumers.info(old, 'notifications')).config.max_deliver === MAX_DELIVER, patiently);
      expect((await manager.consumers.info(old, 'notifications')).config.filter_subject).toBe(orderSubjects(old));
      expect((await manager.streams.info(old)).config.subjects).toEqual(streamSubjects(old));
    } finally {
      await stop();
      await manager.streams.delete(old);
      await nats.close();
    }
  }, 180_000);
});
