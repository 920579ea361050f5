// No event lost when a side is down, with real processes: the notifications service is
// killed (SIGKILL) while 20 orders are placed, then the orders service is killed too with
// the events still undelivered; once both are back, the buyer has exactly 20 new order
// confirmations, none twice. Over HTTP (the embedded default) and, when TEST_NATS_URL is
// set, over NATS JetStream (where the stream holds the events instead of the outbox).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deleteStream } from './support/nats.js';
import { postGraphQL } from './support/stack.js';
import { waitFor } from './support/wait.js';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';

const NATS_URL = process.env.TEST_NATS_URL;
const transports = [
  { name: 'HTTP (the embedded default)', env: {} as Record<string, string> },
  ...(NATS_URL ? [{ name: 'NATS JetStream', env: { NATS_URL, NATS_STREAM: `TEST_${randomUUID().slice(0, 8)}` } }] : []),
];
const ORDERS = 20;

describe.each(transports)('events over $name with a side down', ({ env }) => {
  let services: ServiceProcesses;
  let token: string;
  const gateway = <T = any>(query: string, variables?: Record<string, unknown>) => postGraphQL<T>(services.url('gateway'), query, variables, token);
  const confirmations = async () => {
    const result = await gateway('{ me { notifications(first: 100) { nodes { kind order { id } } } } }');
    return (result.data?.me?.notifications?.nodes ?? []) as { kind: string; order: { id: string } }[];
  };
  const backlog = async () => {
    const text = await (await fetch(services.metricsUrl('orders'))).text();
    return Number(/^outbox_backlog(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1]);
  };

  beforeAll(async () => {
    // One buyer places all 20 orders, past the per-customer cap on PENDING orders (10):
    // what is tested here is their events, so the cap is off.
    services = await serviceProcesses({ OUTBOX_RELAY_MS: '200', NOTIFY_SWEEP_MS: '200', PENDING_ORDERS_PER_CUSTOMER: '0', ...env });
    for (const name of ['users', 'inventory', 'notifications', 'orders', 'gateway'] as const) await services.start(name);
    token = (await postGraphQL<any>(services.url('gateway'), 'mutation { logIn(email: "grace@example.com", password: "customer-password") { token } }')).data.logIn.token;
  }, 120_000);
  afterAll(async () => {
    await services.dispose();
    if (env.NATS_STREAM) await deleteStream(NATS_URL!, env.NATS_STREAM);
  });

  it(`delivers each of ${ORDERS} orders placed while notifications was down exactly once, after both services restart`, async () => {
    // Wait for the demo orders' events, so the count below is only ours.
    let seen = -1;
    await waitFor('the demo events', async () => {
      const now = (await backlog()) === 0 ? (await confirmations()).length : -1;
      const settled = now > 0 && now === seen;
      seen = now;
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 500));
      return settled;
    });
    const before = await confirmations();
    const product = (await gateway('{ products(first: 50) { nodes { id available } } }')).data.products.nodes.sort((a: any, b: any) => b.available - a.available)[0].id;

    await services.signal('notifications', 'SIGKILL');
    const placed: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const result = await gateway('mutation($p: ID!) { placeOrder(input: { items: [{ productId: $p, quantity: 1 }] }) { id } }', { p: product });
      expect(result.errors).toBeUndefined();
      placed.push(result.data.placeOrder.id);
    }
    if (env.NATS_URL) {
      // JetStream took them while their consumer was away: nothing waits in the outbox.
      await waitFor('the events in the stream', async () => (await backlog()) === 0);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // several relay passes, all failing
      expect(await backlog()).toBe(ORDERS);
    }

    // The orders service dies too, its events undelivered (HTTP) or delivered to the stream.
    await services.signal('orders', 'SIGKILL');
    await services.start('notifications');
    await services.start('orders');
    const started = Date.now();
    await waitFor(`${ORDERS} new confirmations`, async () => (await confirmations()).length >= before.length + ORDERS, { timeoutMs: 30_000 });
    const elapsed = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1500)); // room for a duplicate to show up

    const after = await confirmations();
    expect(after).toHaveLength(before.length + ORDERS);
    const ours = after.filter((note) => placed.includes(note.order.id));
    expect(ours.map((note) => note.kind)).toEqual(Array(ORDERS).fill('order.placed'));
    expect(new Set(ours.map((note) => note.order.id)).size).toBe(ORDERS);
    expect(await backlog()).toBe(0);
    expect(elapsed).toBeLessThan(30_000);
  }, 120_000);
});
