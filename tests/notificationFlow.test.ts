// Order events end to end through the real gateway and subgraph servers: an order placed
// becomes one notification the buyer reads through the gateway, over HTTP (the embedded
// default) and, when TEST_NATS_URL is set, over NATS JetStream. Redelivery on purpose
// makes nothing twice, and nobody reads or marks another user's notifications.
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { orderSubject } from '../platform/events.js';
import { deleteStream } from './support/nats.js';
import { startStack, type Stack } from './support/stack.js';
import { counterValue, waitFor } from './support/wait.js';

const NATS_URL = process.env.TEST_NATS_URL;
const transports = [
  { name: 'HTTP (the embedded default)', env: {} as Record<string, string> },
  ...(NATS_URL ? [{ name: 'NATS JetStream', env: { NATS_URL, NATS_STREAM: `TEST_${randomUUID().slice(0, 8)}` } }] : []),
];

const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const INBOX = '{ me { id notifications(first: 50) { totalCount nodes { id kind subject body deliveryStatus order { id status } } } } }';

/** The waits here: up to 15 s, looking every 50 ms. */
const soon = { timeoutMs: 15_000, everyMs: 50 };

describe.each(transports)('order events over $name', ({ env }) => {
  let stack: Stack;
  let ada: string;
  let alan: string;
  let productId: string;
  const inbox = async (token: string) => (await stack.query(INBOX, {}, { token })).data.me.notifications;
  const count = (token: string, n: number) => waitFor(`${n} notifications`, async () => (await inbox(token)).totalCount === n, soon);
  const received = (outcome: string) => counterValue(stack.notifications.metrics.registry, 'order_events_received_total', 'outcome', outcome);

  beforeAll(async () => {
    stack = await startStack({ demoData: true, env: { OUTBOX_RELAY_MS: '100', NOTIFY_SWEEP_MS: '100', ...env } });
    [ada, alan] = await Promise.all([stack.logIn('ada@example.com', 'customer-password'), stack.logIn('alan@example.com', 'customer-password')]);
    const products = (await stack.query('{ products(first: 50) { nodes { id available } } }')).data.products.nodes as { id: string; available: number }[];
    productId = products.sort((a, b) => b.available - a.available)[0]!.id;
    // The demo orders' own events arrive first; each test counts from after them.
    const events = await stack.orders.prisma.outboxEvent.count();
    await waitFor('the demo events delivered', async () => (await stack.notifications.prisma.notification.count()) === events, soon);
  });
  afterAll(async () => {
    await stack.stop();
    if (env.NATS_STREAM) await deleteStream(NATS_URL!, env.NATS_STREAM);
  });

  it('the buyer reads one order confirmation through the gateway, then one for the cancellation', async () => {
    const before = (await inbox(ada)).totalCount;
    const placed = await stack.query(PLACE, { input: { items: [{ productId, quantity: 2 }] } }, { token: ada });
    const orderId = placed.data.placeOrder.id;
    await count(ada, before + 1);
    const [confirmation] = (await inbox(ada)).nodes;
    expect(confirmation).toMatchObject({ kind: 'order.placed', order: { id: orderId, status: 'PENDING' } });
    expect(confirmation.subject).toContain(orderId.slice(-8).toUpperCase());
    expect(confirmation.body).toMatch(/2 × .+ at \$\d+\.\d\d = \$\d+\.\d\d/);
    expect(confirmation.body).toMatch(/Total: \$\d+\.\d\d/);
    // The log channel sends it at once; the status says so.
    await waitFor('the confirmation sent', async () => (await inbox(ada)).nodes[0].deliveryStatus === 'SENT', soon);

    await stack.query('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: orderId }, { token: ada });
    await count(ada, before + 2);
    const kinds = (await inbox(ada)).nodes.filter((node: any) => node.order.id === orderId).map((node: any) => node.kind);
    expect(kinds).toEqual(['order.cancelled', 'order.placed']);
  });

  it('a delivered event sent again on purpose still makes one notification', async () => {
    const orderId = (await stack.query(PLACE, { input: { items: [{ productId, quantity: 1 }] } }, { token: ada })).data.placeOrder.id;
    const mine = async () => (await inbox(ada)).nodes.filter((node: any) => node.order.id === orderId);
    await waitFor('the notification', async () => (await mine()).length === 1, soon);
    const duplicatesBefore = await received('DUPLICATE');

    // The relay delivers it again, as after a lost acknowledgement...
    await stack.orders.prisma.outboxEvent.updateMany({ where: { orderId }, data: { publishedAt: null } });
    stack.orders.relay.kick();
    await waitFor('the outbox delivered again', async () => (await stack.orders.prisma.outboxEvent.count({ where: { orderId, publishedAt: null } })) === 0, soon);
    if (env.NATS_URL) {
      // ...which JetStream stores once (same Nats-Msg-Id); so also publish the same event
      // under a new message id, as a second producer or a replay would.
      const { payload } = await stack.orders.prisma.outboxEvent.findFirstOrThrow({ where: { orderId } });
      const nats = await connect({ servers: NATS_URL });
      await jetstream(nats).publish(orderSubject(env.NATS_STREAM!, orderId), JSON.stringify(payload), { msgID: randomUUID() });
      await nats.close();
    }
    await waitFor('the redelivery seen as a duplicate', async () => (await received('DUPLICATE')) > duplicatesBefore, soon);
    expect(await mine()).toHaveLength(1);
    expect(await stack.notifications.prisma.notification.count({ where: { orderId } })).toBe(1);
  });

  it('nobody reads or marks another user’s notifications, through the gateway or straight at the subgraph', async () => {
    await stack.query(PLACE, { input: { items: [{ productId, quantity: 1 }] } }, { token: ada });
    await waitFor('a notification', async () => (await inbox(ada)).totalCount > 0, soon);
    const adaInbox = await inbox(ada);
    const adaId = (await stack.query('{ me { id } }', {}, { token: ada })).data.me.id;
    const note = adaInbox.nodes[0].id;

    const viaUser = await stack.query('query($id: ID!) { user(id: $id) { notifications { totalCount } } }', { id: adaId }, { token: alan });
    expect(viaUser.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    expect(JSON.stringify(viaUser.data ?? {})).not.toContain('totalCount":');

    const direct = await stack.query(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { nodes { subject body } } } } }',
      { r: [{ __typename: 'User', id: adaId }] },
      { token: alan, url: stack.subgraphUrls.notifications },
    );
    expect(direct.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(direct.data ?? {})).not.toContain('subject');

    const mark = await stack.query('mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }', { id: note }, { token: alan });
    expect(mark.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const forged = await stack.query('mutation($e: [String!]!) { receiveOrderEvents(events: $e) { outcome } }', { e: [] }, { token: alan, url: stack.subgraphUrls.notifications });
    expect(forged.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect((await inbox(ada)).nodes.find((node: any) => node.id === note)).toBeDefined();
    const stored = await stack.notifications.prisma.notification.findUniqueOrThrow({ where: { id: note } });
    expect(stored.readAt).toBeNull();
  });
});
