// The notifications subgraph on its own database: events in, one notification per event
// whatever the redelivery, one order's events in sequence, and who may read what.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { OrderEvent } from '../platform/events.js';
import type { NotificationsService } from '../subgraphs/notifications/server.js';
import { admin, codes, customer, execute, service, truncateAll } from './support/execute.js';
import { bootNotifications } from './support/services.js';
import { waitFor } from './support/wait.js';

const RECEIVE = 'mutation($events: [String!]!) { receiveOrderEvents(events: $events) { eventId outcome } }';
const MINE = `query($id: ID!, $first: Int, $after: String, $unreadOnly: Boolean) {
  _entities(representations: [{ __typename: "User", id: $id }]) {
    ... on User { notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      totalCount nodes { id kind channel subject body readAt deliveryStatus order { id } } pageInfo { hasNextPage endCursor } } }
  }
}`;
const MARK = 'mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }';

let notifications: NotificationsService;
const run = (query: string, variables?: Record<string, unknown>, caller?: Parameters<typeof execute>[3]) => execute(notifications.server, query, variables, caller);
const orders = service('orders');
const ada = customer();
const alan = customer();
const boss = admin();
const userOf = (caller: typeof ada) => (caller.kind === 'user' ? caller.userId : '');

function event(type: OrderEvent['type'], orderId: string, overrides: Partial<OrderEvent> = {}, userId = userOf(ada)): OrderEvent {
  return {
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    orderId,
    sequence: type === 'order.placed' ? 1 : 2,
    data: {
      userId,
      status: type === 'order.placed' ? 'PENDING' : type === 'order.cancelled' ? 'CANCELLED' : 'COMPLETED',
      totalCents: 2 * 1250 + 999,
      items: [
        { productId: randomUUID(), name: 'Kettle', quantity: 2, unitPriceCents: 1250 },
        { productId: randomUUID(), name: 'Mug', quantity: 1, unitPriceCents: 999 },
      ],
    },
    ...overrides,
  };
}
const send = (events: (OrderEvent | string)[], caller = orders) =>
  run(RECEIVE, { events: events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) }, caller);
const outcomes = async (events: (OrderEvent | string)[]) => (await send(events)).data.receiveOrderEvents.map((r: { outcome: string }) => r.outcome);
const stored = () => notifications.prisma.notification.findMany({ orderBy: { createdAt: 'asc' } });
/** Waits until the sender (kicked by every stored notification) has sent them all. */
async function allSent(): Promise<void> {
  const unsent = () => notifications.prisma.notification.count({ where: { deliveryStatus: { not: 'SENT' } } });
  await waitFor('every notification sent', async () => (await unsent()) === 0, { timeoutMs: 10_000, everyMs: 20 });
  await new Promise((resolve) => setTimeout(resolve, 50)); // the pass that sent them has ended
}

beforeAll(async () => {
  notifications = await bootNotifications();
});
afterAll(() => notifications.stop());
beforeEach(() => truncateAll(notifications.database));

describe('receiving order events', () => {
  it('only from the orders service', async () => {
    const placed = event('order.placed', randomUUID());
    expect(codes(await send([placed], null as never))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await send([placed], ada))).toEqual(['FORBIDDEN']);
    expect(codes(await send([placed], boss))).toEqual(['FORBIDDEN']);
    expect(codes(await send([placed], service('inventory')))).toEqual(['FORBIDDEN']);
    expect(await stored()).toEqual([]);
  });

  it('makes an order confirmation listing the items and the total', async () => {
    const orderId = randomUUID();
    expect(await outcomes([event('order.placed', orderId)])).toEqual(['APPLIED']);
    const [note] = await stored();
    expect(note).toMatchObject({ userId: userOf(ada), orderId, kind: 'order.placed', channel: 'log' });
    await allSent(); // through the log channel
    expect(await notifications.prisma.notification.findUniqueOrThrow({ where: { id: note!.id } })).toMatchObject({ deliveryStatus: 'SENT', deliveryAttempts: 1, sentAt: expect.any(Date) });
    expect(note!.subject).toBe(`Order confirmation #${orderId.slice(-8).toUpperCase()}`);
    expect(note!.body).toContain('2 × Kettle at $12.50 = $25.00');
    expect(note!.body).toContain('1 × Mug at $9.99 = $9.99');
    expect(note!.body).toContain('Total: $34.99');
  });

  it('makes one notification per event however often and however concurrently it is delivered', async () => {
    const placed = event('order.placed', randomUUID());
    expect(await outcomes([placed, placed])).toEqual(['APPLIED', 'DUPLICATE']);
    const again = await Promise.all(Array.from({ length: 10 }, () => outcomes([placed])));
    expect(again.flat()).toEqual(Array(10).fill('DUPLICATE'));
    expect(await stored()).toHaveLength(1);
  });

  it('applies one order’s events in sequence: an early one is deferred until its predecessor arrives', async () => {
    const orderId = randomUUID();
    const placed = event('order.placed', orderId);
    const cancelled = event('order.cancelled', orderId);
    expect(await outcomes([cancelled])).toEqual(['DEFERRED']);
    expect(await stored()).toEqual([]);
    expect(await outcomes([placed, cancelled])).toEqual(['APPLIED', 'APPLIED']);
    expect((await stored()).map((note) => note.kind)).toEqual(['order.placed', 'order.cancelled']);
    const cancellation = (await stored())[1]!;
    expect(cancellation.subject).toBe(`Order #${orderId.slice(-8).toUpperCase()} cancelled`);
    expect(cancellation.body).toContain('(3 items, $34.99) was cancelled');
    // A second terminal event for the same order is a duplicate by sequence.
    expect(await outcomes([event('order.completed', orderId)])).toEqual(['DUPLICATE']);
  });

  it('a late order.placed, after its order.cancelled went ahead without it, still makes its confirmation (once)', async () => {
    const orderId = randomUUID();
    const placed = event('order.placed', orderId);
    // The cancellation waited past EVENT_ORDER_WAIT_MS for its predecessor, and was applied.
    const cancelled = event('order.cancelled', orderId, { occurredAt: new Date(Date.now() - 10 * 60_000).toISOString() });
    expect(await outcomes([cancelled])).toEqual(['APPLIED']);
    expect(await outcomes([placed])).toEqual(['APPLIED']);
    expect((await stored()).map((note) => note.kind)).toEqual(['order.cancelled', 'order.placed']);
    // Idempotency stays by event id: true redeliveries of either make nothing.
    expect(await outcomes([placed, cancelled])).toEqual(['DUPLICATE', 'DUPLICATE']);
    expect(await stored()).toHaveLength(2);
  });

  it('stops waiting for a predecessor that never comes (an order from before events existed)', async () => {
    const old = event('order.cancelled', randomUUID(), { occurredAt: new Date(Date.now() - 10 * 60_000).toISOString() });
    expect(await outcomes([old])).toEqual(['APPLIED']);
  });

  it('rejects what it cannot read, stores nothing for it, and goes on with the rest', async () => {
    const good = event('order.placed', randomUUID());
    const result = await outcomes([
      'not json',
      JSON.stringify({ ...event('order.placed', randomUUID()), version: 2 }),
      JSON.stringify({ ...event('order.placed', randomUUID()), type: 'order.exploded' }),
      JSON.stringify({ ...event('order.placed', randomUUID()), data: { userId: 'nobody' } }),
      good,
    ]);
    expect(result).toEqual(['REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'APPLIED']);
    expect((await stored()).map((note) => note.eventId)).toEqual([good.id]);
  });

  it('refuses more than 100 events in one call', async () => {
    const many = Array.from({ length: 101 }, () => event('order.placed', randomUUID()));
    expect(codes(await send(many))).toEqual(['BAD_USER_INPUT']);
    expect(await stored()).toEqual([]);
  });
});

describe('reading and marking notifications', () => {
  async function notify(caller: typeof ada, count: number) {
    for (let i = 0; i < count; i++) await send([event('order.placed', randomUUID(), {}, userOf(caller))]);
  }

  it('a customer reads their own, newest first, page by page, with the order they are about', async () => {
    await notify(ada, 3);
    await notify(alan, 1);
    const first = await run(MINE, { id: userOf(ada), first: 2 }, ada);
    expect(first.errors).toBeUndefined();
    const page1 = first.data._entities[0].notifications;
    expect(page1.totalCount).toBe(3);
    expect(page1.nodes).toHaveLength(2);
    expect(page1.nodes[0].order.id).toEqual(expect.any(String));
    const page2 = (await run(MINE, { id: userOf(ada), first: 2, after: page1.pageInfo.endCursor }, ada)).data._entities[0].notifications;
    expect(page2.nodes).toHaveLength(1);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const all = [...page1.nodes, ...page2.nodes].map((node: { id: string }) => node.id);
    const expected = (await notifications.prisma.notification.findMany({ where: { userId: userOf(ada) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })).map((n) => n.id);
    expect(all).toEqual(expected);
  });

  it('a customer cannot read another user’s notifications; an admin can', async () => {
    await notify(ada, 1);
    expect(codes(await run(MINE, { id: userOf(ada) }, alan))).toEqual(['FORBIDDEN']);
    expect(codes(await run(MINE, { id: userOf(ada) }, null))).toEqual(['UNAUTHENTICATED']);
    expect((await run(MINE, { id: userOf(ada) }, boss)).data._entities[0].notifications.totalCount).toBe(1);
  });

  it('marks one read once (again keeps the first time), only for its owner, and unreadOnly leaves it out', async () => {
    await notify(ada, 2);
    const [one] = await stored();
    expect(codes(await run(MARK, { id: one!.id }, alan))).toEqual(['FORBIDDEN']);
    expect(codes(await run(MARK, { id: one!.id }, boss))).toEqual(['FORBIDDEN']);
    expect(codes(await run(MARK, { id: randomUUID() }, ada))).toEqual(['NOT_FOUND']);
    expect(codes(await run(MARK, { id: 'not-a-uuid' }, ada))).toEqual(['BAD_USER_INPUT']);
    const first = (await run(MARK, { id: one!.id }, ada)).data.markNotificationRead;
    expect(first.readAt).toEqual(expect.any(String));
    const again = (await run(MARK, { id: one!.id }, ada)).data.markNotificationRead;
    expect(again.readAt).toBe(first.readAt);
    const unread = (await run(MINE, { id: userOf(ada), unreadOnly: true }, ada)).data._entities[0].notifications;
    expect(unread.totalCount).toBe(1);
    expect(unread.nodes.map((node: { id: string }) => node.id)).not.toContain(one!.id);
  });

  it('pages of many users cost one statement for the pages and one for the counts', async () => {
    await notify(ada, 2);
    await notify(alan, 3);
    await allSent();
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications(first: 5) { totalCount nodes { id } } } } }`;
    const before = notifications.stats.statements;
    const result = await run(query, { r: [userOf(ada), userOf(alan), randomUUID()].map((id) => ({ __typename: 'User', id })) }, boss);
    expect(result.data._entities.map((user: any) => user.notifications.totalCount)).toEqual([2, 3, 0]);
    expect(notifications.stats.statements - before).toBe(2);
  });
});
