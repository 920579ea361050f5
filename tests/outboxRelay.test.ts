// The outbox relay against a real notifications server over HTTP: no event holds up the
// others. Batches stay under the notifications service's 1 MiB body limit; an event the
// service refuses (too large on its own) or cannot apply (its database refuses that one
// notification, with a trigger standing in for any per-event fault) is found by splitting
// the refused call, retried alone after a backoff, and parked in outbox_dead_letters after
// OUTBOX_MAX_ATTEMPTS, counted and logged, while every other event is delivered; an
// operator moves it back once the cause is fixed. A transport that cannot be reached
// parks nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { NotificationsService } from '../subgraphs/notifications/server.js';
import { listDeadLetters, requeueDeadLetters } from '../subgraphs/orders/deadLetters.js';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { truncateAll } from './support/execute.js';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { captureLog, type CapturedLog } from './support/logs.js';
import { acceptAllNotifications, placedEvent, refuseNotificationsOf } from './support/poison.js';
import { bootNotifications, bootOrders } from './support/services.js';
import { counterValue, waitFor } from './support/wait.js';

const MAX_ATTEMPTS = 3;
/** Bounded by readiness, not speed: generous, for a loaded machine. */
const patiently = { timeoutMs: 120_000, everyMs: 100 };

let notifications: NotificationsService;
let proxy: FaultyProxy;
let orders: OrdersService;
let logs: CapturedLog;

const delivered = () => orders.prisma.outboxEvent.count({ where: { publishedAt: { not: null } } });
const stored = () => notifications.prisma.notification.count();
const counter = (name: string) => counterValue(orders.metrics.registry, name, 'transport', 'http');
const outboxEntry = (id: string) => orders.prisma.outboxEvent.findUnique({ where: { id } });

const refuseOrder = (orderId: string) => refuseNotificationsOf(notifications.database, orderId);
const cureOrders = () => acceptAllNotifications(notifications.database);

/**
 * Lets the poison's backoff run out (as time would) and waits for the next refusal: its
 * attempts grow by one, or it is parked.
 */
async function nextAttempt(id: string, attempts: number): Promise<void> {
  await orders.prisma.outboxEvent.update({ where: { id }, data: { claimedUntil: new Date(Date.now() - 1000) } });
  orders.relay.kick();
  await waitFor(`attempt ${attempts + 1}`, async () => ((await outboxEntry(id))?.attempts ?? MAX_ATTEMPTS) > attempts, patiently);
}

beforeAll(async () => {
  notifications = await bootNotifications();
  const { url } = await notifications.listen(0, '127.0.0.1');
  proxy = await startFaultyProxy(url);
  logs = captureLog('orders', 'warn');
  orders = await bootOrders({
    notificationsUrl: proxy.url,
    log: logs.log,
    // A refused event waits an hour: the test moves its clock on itself (nextAttempt), so
    // nothing here depends on how fast this machine is.
    env: { OUTBOX_RELAY_MS: '100', EVENTS_TIMEOUT_MS: '60000', OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS), OUTBOX_RETRY_BASE_MS: '3600000' },
  });
  await orders.listen(0, '127.0.0.1');
}, 180_000);
afterAll(async () => {
  await orders?.stop();
  await proxy?.close();
  await notifications?.stop();
});
beforeEach(async () => {
  proxy.refuse = false;
  await cureOrders();
  await Promise.all([truncateAll(orders.database), truncateAll(notifications.database)]);
});

describe('batches', () => {
  it('100 order.placed events of 50 lines with 200-character names (1.5 MB) go out in calls under the 1 MiB body limit', async () => {
    const rows = Array.from({ length: 100 }, () => placedEvent({ lines: 50, nameLength: 200 }));
    expect(rows.reduce((sum, row) => sum + JSON.stringify(JSON.stringify(row.payload)).length, 0)).toBeGreaterThan(1024 * 1024);
    await orders.prisma.outboxEvent.createMany({ data: rows });
    orders.relay.kick();
    await waitFor('100 delivered', async () => (await delivered()) === 100, patiently);
    expect(await stored()).toBe(100);
    expect(await counter('outbox_events_refused_total')).toBe(0);
  }, 180_000);
});

describe.each([
  { poison: 'an event too large for the notifications service (HTTP 413 when alone)', reason: /HTTP 413/, make: () => placedEvent({ nameLength: 1_100_000 }), cause: async () => {} },
  { poison: 'an event the notifications service fails to apply every time', reason: /INTERNAL_SERVER_ERROR/, make: () => placedEvent(), cause: (orderId: string) => refuseOrder(orderId) },
])('one poison among 200: $poison', ({ reason, make, cause }) => {
  it(`holds back no other event, and is parked after ${MAX_ATTEMPTS} attempts, counted and logged`, async () => {
    const rows = Array.from({ length: 200 }, () => placedEvent());
    const poison = make();
    rows.splice(10, 0, poison); // in the first batch
    await cause(poison.orderId);
    const parkedBefore = await counter('outbox_dead_lettered_total');
    await orders.prisma.outboxEvent.createMany({ data: rows });
    orders.relay.kick();

    // Every other event arrives before the poison is tried a second time.
    await waitFor('the 200 others delivered', async () => (await delivered()) === 200, patiently);
    expect(await stored()).toBe(200);
    const refused = await outboxEntry(poison.id);
    expect(refused).toMatchObject({ attempts: 1, publishedAt: null, lastError: expect.stringMatching(reason) });
    expect(refused!.claimedUntil!.getTime()).toBeGreaterThan(Date.now() + 60_000); // its backoff

    for (let attempts = 1; attempts < MAX_ATTEMPTS; attempts++) await nextAttempt(poison.id, attempts);
    expect(await outboxEntry(poison.id)).toBeNull();
    const [parked] = await listDeadLetters(orders.prisma);
    expect(parked).toMatchObject({ id: poison.id, orderId: poison.orderId, type: 'order.placed', attempts: MAX_ATTEMPTS, reason: expect.stringMatching(reason) });
    expect(await counter('outbox_dead_lettered_total')).toBe(parkedBefore + 1);
    const metrics = await orders.metrics.registry.getSingleMetricAsString('outbox_dead_letters');
    expect(metrics).toMatch(/^outbox_dead_letters\{[^}]*\} 1$/m);
    const line = logs.lines().find((each) => each.eventId === poison.id && /parked in outbox_dead_letters/.test(each.msg));
    expect(line).toMatchObject({ level: 50, orderId: poison.orderId, attempt: MAX_ATTEMPTS, reason: expect.stringMatching(reason) });
    expect(await stored()).toBe(200);
  }, 300_000);
});

describe('parked events', () => {
  it('are delivered once an operator moves them back, the cause fixed', async () => {
    const poison = placedEvent();
    await refuseOrder(poison.orderId);
    await orders.prisma.outboxEvent.createMany({ data: [poison, placedEvent()] });
    orders.relay.kick();
    await waitFor('the first refusal', async () => (await outboxEntry(poison.id))?.attempts === 1, patiently);
    for (let attempts = 1; attempts < MAX_ATTEMPTS; attempts++) await nextAttempt(poison.id, attempts);
    expect((await listDeadLetters(orders.prisma)).map((row) => row.id)).toEqual([poison.id]);

    await cureOrders();
    expect(await requeueDeadLetters(orders.prisma)).toEqual([poison.id]);
    expect(await outboxEntry(poison.id)).toMatchObject({ attempts: 0, publishedAt: null });
    orders.relay.kick();
    await waitFor('the requeued event delivered', async () => (await delivered()) === 2, patiently);
    expect(await notifications.prisma.notification.count({ where: { eventId: poison.id } })).toBe(1);
    expect(await listDeadLetters(orders.prisma)).toEqual([]);
  }, 300_000);
});

describe('a transport that cannot be reached', () => {
  it('is not the events’ fault: nothing is counted against them or parked, and they go once it is back', async () => {
    proxy.refuse = true;
    proxy.cutAll(); // as when the service dies: kept-alive connections go too
    await orders.prisma.outboxEvent.createMany({ data: Array.from({ length: 5 }, () => placedEvent()) });
    const failuresBefore = await counter('outbox_publish_failures_total');
    const connectionsBefore = proxy.connections;
    // Several passes, each refused at the connection.
    await waitFor('three refused passes', async () => proxy.connections >= connectionsBefore + 3, patiently);
    expect(await counter('outbox_publish_failures_total')).toBeGreaterThan(failuresBefore);
    expect(await orders.prisma.outboxEvent.count({ where: { attempts: { gt: 0 } } })).toBe(0);
    expect(await listDeadLetters(orders.prisma)).toEqual([]);

    proxy.refuse = false;
    await waitFor('the 5 delivered', async () => (await delivered()) === 5, patiently);
    expect(await stored()).toBe(5);
  }, 180_000);
});
