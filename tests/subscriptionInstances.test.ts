// Subscriptions across instances, as a PostgreSQL + NATS deployment scales out: two
// gateway processes, each in front of its own orders process, both orders processes on one
// PostgreSQL database and one NATS server. Whichever instance commits a change, every
// subscriber on either gateway receives it exactly once, in order per order, and a
// customer never receives another's. Runs where TEST_POSTGRES_URL and TEST_NATS_URL say
// both are available here.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { waitForLiveAt, wsConnection, type WsConnection } from './support/live.js';
import { deleteStream } from './support/nats.js';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';
import { postGraphQL } from './support/stack.js';
import { waitFor } from './support/wait.js';

const natsUrl = process.env.TEST_NATS_URL;
const suite = process.env.TEST_POSTGRES_URL && natsUrl ? describe : describe.skip;

const WATCH = 'subscription Watch { orderUpdated { id status user { id } } }';
const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const COMPLETE = 'mutation Complete($id: ID!) { completeOrder(id: $id) { id status } }';
const CANCEL = 'mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status } }';
/** Orders each customer places through each gateway. */
const ORDERS_PER_GATEWAY = 3;

interface Event {
  id: string;
  status: string;
  user: { id: string };
}
interface Watcher {
  name: string;
  /** Whose orders it may see: a user id, or every order (the admin). */
  sees: string | 'all';
  received: Event[];
  /** Errors, or an end: none is expected while the test runs. */
  failures: unknown[];
}

// A stream of this run's own: its name also names the live subjects
// (`<stream>.live.orders.changed`), so another run on the same NATS server is not heard.
const stream = `LIVE_${randomBytes(4).toString('hex')}`;
let databases: TestDatabase[];
let services: ServiceProcesses;
const gateways: string[] = [];
const connections: WsConnection[] = [];
const watchers: Watcher[] = [];
let adminToken: string;
const customers: { id: string; token: string; name: string }[] = [];
let productId: string;

async function call<T = any>(gateway: string, query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const result = await postGraphQL<T>(gateway, query, variables, token);
  if (!result.data || result.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** Collects a subscription's events as they arrive, so a test can wait for a count. */
function watch(name: string, gateway: string, token: string, sees: string | 'all'): Watcher {
  const connection = wsConnection(gateway, { token });
  connections.push(connection);
  const watcher: Watcher = { name, sees, received: [], failures: [] };
  connection.client.subscribe<{ orderUpdated: Event }>(
    { query: WATCH },
    {
      next: (event) => (event.errors ? watcher.failures.push(event.errors) : watcher.received.push(event.data!.orderUpdated)),
      error: (error) => watcher.failures.push(error),
      complete: () => watcher.failures.push('completed'),
    },
  );
  watchers.push(watcher);
  return watcher;
}

const visibleTo = (watcher: Watcher, owner: string) => watcher.sees === 'all' || watcher.sees === owner;

/** Waits until every watcher holds exactly the events it may see among `expected`. */
async function everyoneHas(expected: { id: string; status: string; owner: string }[]) {
  for (const watcher of watchers) {
    const count = expected.filter((event) => visibleTo(watcher, event.owner)).length;
    await waitFor(`${watcher.name} to receive ${count} events`, async () => watcher.received.length >= count, { timeoutMs: 60_000, everyMs: 20 });
  }
}

suite('orderUpdated with two gateways and two orders instances on PostgreSQL and NATS', () => {
  beforeAll(async () => {
    databases = await Promise.all(['users', 'inventory', 'orders', 'notifications'].map((name) => createTestDatabase(`live_${name}`)));
    const [users, inventory, orders, notifications] = databases.map((database) => database.url!);
    services = await serviceProcesses({
      USERS_DATABASE_URL: users!,
      INVENTORY_DATABASE_URL: inventory!,
      ORDERS_DATABASE_URL: orders!,
      NOTIFICATIONS_DATABASE_URL: notifications!,
      NATS_URL: natsUrl!,
      NATS_STREAM: stream,
      OUTBOX_RELAY_MS: '100',
    });
    for (const name of ['users', 'inventory', 'notifications', 'orders'] as const) await services.start(name);
    const secondOrders = await services.startInstance('orders', 'b');
    await services.start('gateway');
    const secondGateway = await services.startInstance('gateway', 'b', { ORDERS_URL: secondOrders.url });
    gateways.push(services.url('gateway'), secondGateway.url);

    adminToken = (await call(gateways[0]!, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: DEV_ADMIN_EMAIL, p: DEV_ADMIN_PASSWORD }, '')).logIn.token;
    for (const name of ['Ada', 'Bob']) {
      const input = { email: `${name.toLowerCase()}-${randomBytes(3).toString('hex')}@example.com`, name, password: 'a long enough password' };
      const { signUp } = await call(gateways[0]!, 'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }', { input }, '');
      customers.push({ id: signUp.user.id, token: signUp.token, name });
    }
    const product = await call(gateways[1]!, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku: `LIVE-${stream}`, name: 'Live lamp', priceCents: 100, stock: 1000 } }, adminToken);
    productId = product.createProduct.id;

    // On each gateway: the admin watching every order, and each customer its own.
    for (const [g, gateway] of gateways.entries()) {
      watch(`admin@gateway${g}`, gateway, adminToken, 'all');
      for (const customer of customers) watch(`${customer.name}@gateway${g}`, gateway, customer.token, customer.id);
    }
    // Each gateway holds its subscriptions at the orders instance it is routed to.
    await waitForLiveAt(services.metricsUrl('orders'), 'orderUpdated', 1 + customers.length);
    await waitForLiveAt(secondOrders.metricsUrl, 'orderUpdated', 1 + customers.length);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.dispose()));
    await services?.dispose();
    await Promise.all((databases ?? []).map((database) => database.drop()));
    if (natsUrl) await deleteStream(natsUrl, stream);
  });

  it('each subscriber receives each change exactly once, in order per order, and only what it may see', async () => {
    // Placed through both gateways, so through both orders instances.
    const expected: { id: string; status: string; owner: string }[] = [];
    const placed: { id: string; owner: (typeof customers)[number]; via: number }[] = [];
    for (let round = 0; round < ORDERS_PER_GATEWAY; round++) {
      for (const [via, gateway] of gateways.entries()) {
        for (const owner of customers) {
          const { placeOrder } = await call(gateway, PLACE, { input: { items: [{ productId, quantity: 1 }] } }, owner.token);
          placed.push({ id: placeOrder.id, owner, via });
          expected.push({ id: placeOrder.id, status: 'PENDING', owner: owner.id });
        }
      }
    }
    // As a shop works: an order changes once it has been seen. Each change goes through the
    // other instance than the one that placed it; half completed by the admin, half
    // cancelled by their owner.
    await everyoneHas(expected);
    for (const [i, order] of placed.entries()) {
      const gateway = gateways[1 - order.via]!;
      if (i % 2 === 0) await call(gateway, COMPLETE, { id: order.id }, adminToken);
      else await call(gateway, CANCEL, { id: order.id }, order.owner.token);
      expected.push({ id: order.id, status: i % 2 === 0 ? 'COMPLETED' : 'CANCELLED', owner: order.owner.id });
    }
    // Last, one more order per customer through each instance: NATS keeps each publisher's
    // order, so once these have arrived everywhere, a duplicate of anything earlier would
    // have arrived too.
    for (const gateway of gateways) {
      for (const owner of customers) {
        const { placeOrder } = await call(gateway, PLACE, { input: { items: [{ productId, quantity: 1 }] } }, owner.token);
        expected.push({ id: placeOrder.id, status: 'PENDING', owner: owner.id });
      }
    }
    const lastIds = new Set(expected.slice(-gateways.length * customers.length).map((event) => event.id));
    for (const watcher of watchers) {
      const mine = [...lastIds].filter((id) => visibleTo(watcher, expected.find((event) => event.id === id)!.owner));
      await waitFor(`${watcher.name} to receive the last orders`, async () => mine.every((id) => watcher.received.some((event) => event.id === id)), { timeoutMs: 60_000, everyMs: 20 });
    }

    for (const watcher of watchers) {
      const theirs = expected.filter((event) => visibleTo(watcher, event.owner));
      // Exactly once: the same set of (order, status) pairs, and as many events.
      const key = (event: { id: string; status: string }) => `${event.id}:${event.status}`;
      expect({ watcher: watcher.name, events: watcher.received.map(key).sort() }).toEqual({ watcher: watcher.name, events: theirs.map(key).sort() });
      expect({ watcher: watcher.name, failures: watcher.failures }).toEqual({ watcher: watcher.name, failures: [] });
      // A customer's own only.
      if (watcher.sees !== 'all') expect(watcher.received.every((event) => event.user.id === watcher.sees)).toBe(true);
      // In order per order: PENDING, then its terminal status.
      for (const order of new Set(theirs.map((event) => event.id))) {
        const statuses = (events: { id: string; status: string }[]) => events.filter((event) => event.id === order).map((event) => event.status);
        expect({ watcher: watcher.name, order, statuses: statuses(watcher.received) }).toEqual({ watcher: watcher.name, order, statuses: statuses(theirs) });
      }
    }
  });
});
