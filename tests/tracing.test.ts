// Distributed tracing, end to end over real processes: every service exports to a real
// OTLP/HTTP receiver in this test (the gateway and users in http/json, the others in
// http/protobuf), and a trace is read back the way a tracing backend would see it. With
// TEST_POSTGRES_URL the subgraphs run on PostgreSQL, and with TEST_NATS_URL the order
// events travel through NATS JetStream (trace context in the message headers).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromRoot } from '../platform/paths.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { deleteStream } from './support/nats.js';
import { startOtlpReceiver, SPAN_KIND, type OtlpReceiver, type ReceivedSpan } from './support/otlpReceiver.js';
import { serviceProcesses, type ServiceName, type ServiceProcesses } from './support/processes.js';
import { waitFor } from './support/wait.js';

const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'] as const;
const CANONICAL = 'query TracedOrders { orders(first: 3) { nodes { id user { name } items { product { name stock } } } } }';
const natsUrl = process.env.TEST_NATS_URL;

let receiver: OtlpReceiver;
let services: ServiceProcesses;
let databases: TestDatabase[] = [];
const stream = `TRACING_${randomBytes(4).toString('hex')}`;

async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(services.url('gateway'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

async function token(email: string, password: string): Promise<string> {
  const reply = await gql('mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }', { email, password });
  return reply.data.logIn.token;
}

/** The spans of one trace received so far. */
const traceOf = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);

/** The gateway's server span of the operation named `name`, once it has been exported. */
async function gatewayRequest(name: string): Promise<ReceivedSpan> {
  let found: ReceivedSpan | undefined;
  await waitFor(`the gateway's span for ${name}`, async () => {
    found = receiver.spans.find((span) => span.service === 'gateway' && span.kind === SPAN_KIND.server && span.attributes['graphql.operation.name'] === name);
    return found !== undefined;
  }, { timeoutMs: 60_000 });
  return found!;
}

/** Waits until the trace holds a span that `matches`, and answers the whole trace. */
async function traceWith(traceId: string, what: string, matches: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan[]> {
  await waitFor(what, async () => traceOf(traceId).some(matches), { timeoutMs: 60_000 });
  return traceOf(traceId);
}

/** The trace under `root`, once every span's parent has come too (each process exports on its own schedule). */
async function wholeTrace(root: ReceivedSpan): Promise<ReceivedSpan[]> {
  await waitFor('the whole trace', async () => {
    const ids = new Set(traceOf(root.traceId).map((span) => span.spanId));
    return traceOf(root.traceId).every((span) => span === root || ids.has(span.parentSpanId));
  }, { timeoutMs: 60_000 });
  return traceOf(root.traceId);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const env: Record<string, string> = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // The batch processor's standard delay, shortened so that spans arrive within the test.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OUTBOX_RELAY_MS: '200',
    LOG_LEVEL: 'info',
  };
  if (process.env.TEST_POSTGRES_URL) {
    databases = await Promise.all(SUBGRAPHS.map((name) => createTestDatabase(`tracing_${name}`)));
    SUBGRAPHS.forEach((name, i) => (env[`${name.toUpperCase()}_DATABASE_URL`] = databases[i]!.url!));
    env.SEED_DEMO_DATA = 'true';
  }
  if (natsUrl) Object.assign(env, { NATS_URL: natsUrl, NATS_STREAM: stream });
  services = await serviceProcesses(env);
  const json = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  // One after another: started at once on a busy machine, each can miss its readiness bound.
  for (const name of SUBGRAPHS) await services.start(name, name === 'users' ? json : {});
  await services.start('gateway', json);
}, 1_200_000);

afterAll(async () => {
  await services?.dispose();
  await receiver?.close();
  await Promise.all(databases.map((database) => database.drop()));
  if (natsUrl) await deleteStream(natsUrl, stream);
});

describe('one trace per client request', () => {
  let admin: string;
  beforeAll(async () => {
    admin = await token('admin@example.com', 'admin-password');
  });

  it('follows the canonical query from the gateway through its plan to orders, users and inventory and their SQL', async () => {
    const reply = await gql(CANONICAL, {}, { authorization: `Bearer ${admin}` });
    expect(reply.errors).toBeUndefined();
    expect(reply.data.orders.nodes).toHaveLength(3);

    const root = await gatewayRequest('TracedOrders');
    const sql = (service: string) => (span: ReceivedSpan) => span.service === service && span.name === 'prisma:client:db_query';
    for (const service of ['orders', 'users', 'inventory']) await traceWith(root.traceId, `${service}'s SQL in the trace`, sql(service));
    const spans = await wholeTrace(root);

    // One trace, one root: the gateway's request, which started it.
    expect(spans.filter((span) => span.parentSpanId === '')).toEqual([root]);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    expect(spans.every((span) => span === root || byId.has(span.parentSpanId))).toBe(true);
    expect(spans.some((span) => span.service === 'gateway' && span.name === 'gateway.plan')).toBe(true);

    // Each subgraph's server span is the child of one of the gateway's fetches to it.
    for (const subgraph of ['orders', 'users', 'inventory']) {
      const served = spans.filter((span) => span.service === subgraph && span.kind === SPAN_KIND.server);
      expect(served).toHaveLength(1);
      const fetch = byId.get(served[0]!.parentSpanId)!;
      expect(fetch).toMatchObject({ service: 'gateway', kind: SPAN_KIND.client, name: `POST ${subgraph}` });
      expect(byId.get(fetch.parentSpanId)?.name).toBe('gateway.fetch');
      // Its SQL is under it, with the statement's text.
      const statements = spans.filter(sql(subgraph));
      expect(statements.length).toBeGreaterThan(0);
      expect(String(statements[0]!.attributes['db.query.text'])).toMatch(/SELECT/);
    }
    // Both encodings were read: the gateway's spans came as JSON, orders' as protobuf.
    expect([...receiver.encodings.get('gateway')!]).toEqual(['json']);
    expect([...receiver.encodings.get('orders')!]).toEqual(['protobuf']);
  });

  it("continues a client's traceparent: the client's trace id, its span the gateway's parent", async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const reply = await gql('query ClientTraced { products(first: 1) { nodes { id name } } }', {}, { traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(reply.errors).toBeUndefined();
    const root = await gatewayRequest('ClientTraced');
    expect(root).toMatchObject({ traceId, parentSpanId: clientSpan });
    await traceWith(traceId, "inventory's server span in the client's trace", (span) => span.service === 'inventory' && span.kind === SPAN_KIND.server);
  });

  it('puts the trace id in the log lines written for a request', async () => {
    const root = await gatewayRequest('TracedOrders');
    // The request log line each service writes is written inside the request's span.
    for (const service of ['gateway', 'orders'] as ServiceName[]) {
      const lines = services.output(service).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
      expect(lines.some((line) => line.traceId === root.traceId)).toBe(true);
    }
  });
});

describe('an order event in the trace of the request that made it', () => {
  it('follows placeOrder through inventory, the outbox, the relay and notifications to the notification sent', async () => {
    const customer = await token('ada@example.com', 'customer-password');
    const products = await gql('{ products(first: 1) { nodes { id } } }');
    const reply = await gql(
      'mutation TracedCheckout($id: ID!, $key: String!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }], idempotencyKey: $key }) { id status } }',
      { id: products.data.products.nodes[0].id, key: randomUUID() },
      { authorization: `Bearer ${customer}` },
    );
    expect(reply.errors).toBeUndefined();

    const root = await gatewayRequest('TracedCheckout');
    await traceWith(root.traceId, 'the notification sent in the checkout trace', (span) => span.service === 'notifications' && span.name === 'notification send');
    const spans = await wholeTrace(root);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const one = (service: string, name: string) => {
      const found = spans.filter((span) => span.service === service && span.name === name);
      expect(found.map((span) => `${span.service} ${span.name}`)).toEqual([`${service} ${name}`]);
      return found[0]!;
    };
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId)!;

    // orders' resolver calls inventory: inventory's server span is the child of that call.
    const resolver = one('orders', 'resolve Mutation.placeOrder');
    const reserve = one('orders', 'POST inventory Reserve');
    expect(parentOf(reserve)).toBe(resolver);
    expect(spans.filter((span) => span.service === 'inventory' && span.kind === SPAN_KIND.server && span.parentSpanId === reserve.spanId)).toHaveLength(1);
    // The event: written in the resolver, published by the relay, processed, the notification sent.
    const created = one('orders', 'order.placed create');
    const published = one('orders', 'order.placed publish');
    const processed = one('notifications', 'order.placed process');
    const sent = one('notifications', 'notification send');
    expect(parentOf(created)).toBe(resolver);
    expect(parentOf(published)).toBe(created);
    expect(parentOf(processed)).toBe(published);
    expect(parentOf(sent)).toBe(processed);
    expect([created.kind, published.kind, processed.kind]).toEqual([SPAN_KIND.producer, SPAN_KIND.producer, SPAN_KIND.consumer]);
  });
});

describe('with tracing off', () => {
  // Which of a process's modules are the tracing SDK's, the exporters' or Prisma's instrumentation.
  const TRACING_MODULES = /@opentelemetry\/(sdk-trace|exporter-trace|context-async-hooks)|@prisma\/instrumentation|platform\/tracingSdk/;
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'tracing-off-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function runUsers(env: Record<string, string>): Promise<string[]> {
    const file = path.join(folder, `${randomUUID()}.txt`);
    await services.signal('users', 'SIGTERM');
    await services.start('users', { NODE_OPTIONS: `--import ${fromRoot('dist/tests/support/loadedModules.js')}`, LOADED_MODULES_FILE: file, OTEL_SERVICE_NAME: 'users-off', ...env });
    const reply = await fetch(services.url('users'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Off { users(first: 1) { totalCount } }' }) });
    expect(reply.status).toBeLessThan(500);
    expect(await services.signal('users', 'SIGTERM')).toBe(0);
    return (await readFile(file, 'utf8')).split('\n');
  }

  it('with no endpoint set, loads nothing of the SDK and exports nothing', async () => {
    const loaded = await runUsers({ OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    expect(loaded.some((url) => url.includes('dist/subgraphs/users/index.js'))).toBe(true);
    expect(loaded.filter((url) => TRACING_MODULES.test(url))).toEqual([]);
    expect(receiver.spans.filter((span) => span.service === 'users-off')).toEqual([]);
  });

  it('with OTEL_SDK_DISABLED, exports nothing even though an endpoint is set', async () => {
    const loaded = await runUsers({ OTEL_SDK_DISABLED: 'true' });
    expect(loaded.filter((url) => TRACING_MODULES.test(url))).toEqual([]);
    expect(receiver.spans.filter((span) => span.service === 'users-off')).toEqual([]);
  });
});
