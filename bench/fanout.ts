// `npm run bench:fanout`: what subscribers cost the gateway. Starts the four subgraphs and
// the gateway as real processes (embedded databases, demo data), opens N idle
// subscribers over WebSocket (graphql-ws, one connection each, as N browser tabs would),
// and measures, for each N (--subscribers, default 1000,5000):
//
// - gateway memory per idle subscription: RSS and V8 heap before and after, each read
//   after a full GC through the gateway's inspector (HeapProfiler.collectGarbage), so
//   garbage waiting to be collected does not count;
// - delivery latency from the commit to the client: --events order status changes made by
//   the admin (place, then cancel), each awaited at every subscriber before the next;
//   latency = receipt at the client − the order's `updatedAt` (written in the commit's
//   transaction), p50 / p99 over every (subscriber, event).
//
// Subscribers watch `orderUpdated { id status updatedAt }` as the admin (every order), so
// each event reaches every one of them; `--selection` changes what they ask for (e.g. add
// `user { name }` to pay one users `_entities` call per subscriber per event).
// `--profile DIR` runs the gateway and orders under `node --cpu-prof` and leaves their
// profiles in DIR for bench/profile.ts.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { freePort, serviceProcesses } from '../tests/support/processes.js';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { graphql, logIn } from './graphqlClient.js';
import { inspect, type Inspector } from './inspector.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000,5000' },
    events: { type: 'string', default: '20' },
    selection: { type: 'string', default: 'id status updatedAt' },
    profile: { type: 'string' },
  },
});
const COUNTS = args.subscribers.split(',').map(Number);
const EVENTS = Number(args.events);
const WATCH = `subscription Fanout { orderUpdated { ${args.selection} } }`;
const TARGET = { bytesPerSubscription: 50 * 1024, p99Ms: 250 };

interface Subscriber {
  client: Client;
  /** Latencies (ms) of the events received, by order status change. */
  received: Map<string, number>;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

/** Waits for `probe` to hold, checking every `everyMs`; fails after `timeoutMs` saying what it waited for. */
async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 120_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function liveAtOrders(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('live_subscriptions') && l.includes('field="orderUpdated"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

function subscribe(url: string, token: string): Subscriber {
  const subscriber: Subscriber = {
    client: createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: true }),
    received: new Map(),
  };
  subscriber.client.subscribe<{ orderUpdated: { id: string; status: string; updatedAt: string } }>(
    { query: WATCH },
    {
      next: ({ data, errors }) => {
        if (errors) throw new Error(`event with errors: ${JSON.stringify(errors)}`);
        const order = data!.orderUpdated;
        subscriber.received.set(`${order.id}:${order.status}`, Date.now() - Date.parse(order.updatedAt));
      },
      error: (error) => console.error('subscription failed:', error),
      complete: () => {},
    },
  );
  return subscriber;
}

async function measure(gateway: Inspector, url: string, ordersMetrics: string, token: string, productId: string, count: number) {
  const before = await gateway.memoryAfterGc();
  const subscribers: Subscriber[] = [];
  // Opened in batches, as a crowd arrives, not all in one tick.
  for (let i = 0; i < count; i += 100) {
    for (let j = i; j < Math.min(count, i + 100); j++) subscribers.push(subscribe(url, token));
    await until(`${Math.min(count, i + 100)} subscriptions at orders`, async () => (await liveAtOrders(ordersMetrics)) >= Math.min(count, i + 100));
  }
  const idle = await gateway.memoryAfterGc();

  const latencies: number[] = [];
  let placed = '';
  for (let event = 0; event < EVENTS; event++) {
    // Even events place an order, odd ones cancel it: each a commit at orders, each one event.
    let key: string;
    if (event % 2 === 0) {
      placed = (await graphql(url, 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 1 }] } }, token)).data.placeOrder.id;
      key = `${placed}:PENDING`;
    } else {
      await graphql(url, 'mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placed }, token);
      key = `${placed}:CANCELLED`;
    }
    await until(`event ${event + 1} at every subscriber`, () => subscribers.every((subscriber) => subscriber.received.has(key)), 60_000, 5);
    for (const subscriber of subscribers) latencies.push(subscriber.received.get(key)!);
  }

  await Promise.all(subscribers.map((subscriber) => subscriber.client.dispose()));
  await until('every subscription to end at orders', async () => (await liveAtOrders(ordersMetrics)) === 0);
  return {
    count,
    rssPerSubscription: (idle.rss - before.rss) / count,
    heapPerSubscription: (idle.heapUsed - before.heapUsed) / count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    samples: latencies.length,
  };
}

const inspectorPort = await freePort();
const services = await serviceProcesses({ SUBSCRIPTIONS_PER_USER: String(Math.max(...COUNTS) + 10), OUTBOX_RELAY_MS: '1000' });
try {
  const profiling = args.profile ? ` --cpu-prof --cpu-prof-dir=${path.resolve(args.profile)}` : '';
  for (const name of ['users', 'inventory', 'notifications'] as const) await services.start(name);
  await services.start('orders', profiling ? { NODE_OPTIONS: profiling } : {});
  await services.start('gateway', { NODE_OPTIONS: `--inspect=127.0.0.1:${inspectorPort}${profiling}` });
  const url = services.url('gateway');
  const token = await logIn(url, DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD);
  const products = (await graphql(url, '{ products(first: 50) { nodes { id available } } }')).data.products.nodes as { id: string; available: number }[];
  const productId = products.sort((a, b) => b.available - a.available)[0]!.id;
  const gateway = await inspect(inspectorPort);
  try {
    // Warm-up: the subscription path's code loaded, its plan cached, the upstream connection open.
    await measure(gateway, url, services.metricsUrl('orders'), token, productId, 10);
    console.log(`Fan-out: N idle subscribers to \`${WATCH}\` over WebSocket on one gateway; ${EVENTS} order changes (admin: place, cancel) each awaited at every subscriber.`);
    console.log('| subscribers | gateway RSS / subscription | gateway heap / subscription | latency p50 | p99 | max | samples |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const count of COUNTS) {
      const row = await measure(gateway, url, services.metricsUrl('orders'), token, productId, count);
      console.log(`| ${row.count} | ${kb(row.rssPerSubscription)} KB | ${kb(row.heapPerSubscription)} KB | ${row.p50} ms | ${row.p99} ms | ${row.max} ms | ${row.samples} |`);
      if (row.count === 1000) {
        const memoryOk = row.rssPerSubscription < TARGET.bytesPerSubscription;
        console.log(`targets at 1,000: < 50 KB per idle subscription: ${memoryOk ? 'met' : 'MISSED'}; p99 < 250 ms: ${row.p99 < TARGET.p99Ms ? 'met' : 'MISSED'}`);
      }
    }
  } finally {
    gateway.close();
  }
  // A profile is written when its process exits of itself.
  if (args.profile) await Promise.all([services.signal('gateway', 'SIGTERM'), services.signal('orders', 'SIGTERM')]);
} finally {
  await services.dispose();
}
