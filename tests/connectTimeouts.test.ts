// Calls between services end at their deadline even while the connection is still being
// opened: towards a host whose SYNs go unanswered (tests/support/unansweredHost.ts: on
// loopback, no root), each call ends as a `timeout` and is not retried as a refused
// connection would be (docs/deadlines.md, docs/rehearsal.md's 32 s query).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { composeSupergraph, readSupergraphConfig } from '../gateway/composition.js';
import { readGatewayConfig } from '../gateway/config.js';
import { createGateway, type Gateway } from '../gateway/server.js';
import { createTokens } from '../platform/auth.js';
import { Deadline } from '../platform/deadline.js';
import { callWithDeadline, createCallPool, isTimeout, neverSent } from '../platform/outgoingCall.js';
import { fromRoot } from '../platform/paths.js';
import { usersRecipientLookup } from '../subgraphs/notifications/recipients.js';
import { readOrdersConfig } from '../subgraphs/orders/config.js';
import { httpPublisher } from '../subgraphs/orders/eventPublishers.js';
import { createInventoryClient, mayHaveActed } from '../subgraphs/orders/inventoryClient.js';
import { TEST_ENV } from './support/services.js';
import { postGraphQL } from './support/stack.js';
import { startUnansweredHost, type UnansweredHost } from './support/unansweredHost.js';

let host: UnansweredHost;
beforeAll(async () => {
  host = await startUnansweredHost();
});
afterAll(() => host.stop());

/** The error a promise rejects with (fails the test if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the call answered, though its host never accepts a connection');
}

describe('one outgoing call (platform/outgoingCall.ts)', () => {
  it('ends at its own deadline while its connect is still pending, as a timeout', async () => {
    // The pool would wait 60 s for the connect: only the call's deadline can end it sooner.
    const pool = createCallPool({ connectTimeoutMs: 60_000 });
    const error = await failureOf(callWithDeadline(host.url, { method: 'POST', headers: {}, body: '{}', timeoutMs: 800, dispatcher: pool }));
    expect(error.name).toBe('TimeoutError');
    expect(isTimeout(error)).toBe(true);
    await pool.destroy();
  });

  it("reports a connect that outlasts the pool's bound as a timeout that never sent the request", async () => {
    const pool = createCallPool({ connectTimeoutMs: 500 });
    const error = await failureOf(callWithDeadline(host.url, { method: 'POST', headers: {}, body: '{}', timeoutMs: 60_000, dispatcher: pool }));
    expect(error.code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(isTimeout(error)).toBe(true);
    expect(neverSent(error)).toBe(true);
    await pool.destroy();
  });
});

describe('the gateway, with a subgraph whose host does not answer', () => {
  let gateway: Gateway;
  let url: string;
  let metricsUrl: string;

  beforeAll(async () => {
    const subgraphs = (await readSupergraphConfig(fromRoot('supergraph.yaml'))).map((entry) => ({ ...entry, routingUrl: host.url }));
    const supergraphSdl = await composeSupergraph(subgraphs);
    gateway = await createGateway(readGatewayConfig({ ...TEST_ENV, REQUEST_TIMEOUT_MS: '1500', SUBGRAPH_QUERY_RETRIES: '2' }), { supergraphSdl });
    const running = await gateway.listen(0, '127.0.0.1');
    url = running.url;
    metricsUrl = running.metricsUrl ?? new URL('/metrics', running.url).toString();
  });
  afterAll(() => gateway.stop());

  it('answers SUBGRAPH_UNAVAILABLE with reason "timeout" after one attempt, not three "unreachable" ones', async () => {
    const result = await postGraphQL<any>(url, '{ products(first: 1) { nodes { id } } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', reason: 'timeout' });
    // One failed attempt: a query is retried after a refused connection, not after a timeout.
    const scrape = await (await fetch(metricsUrl)).text();
    const failed = scrape.split('\n').find((line) => line.startsWith('upstream_call_duration_seconds_count{') && line.includes('target="inventory"') && line.includes('outcome="unavailable"'));
    expect(Number(failed?.slice(failed.lastIndexOf(' ') + 1))).toBe(1);
  });
});

describe("the subgraphs' own calls, to a host that does not answer", () => {
  const config = readOrdersConfig({ ...TEST_ENV });
  const tokens = createTokens(config.platform, config.identity);

  it('orders → inventory: a reservation ends at its deadline as a timeout, not counted as refused', async () => {
    // The pool's bound is longer than the deadline, so it is the deadline that ends the call
    // (and short, since closing the client waits for the connect left behind).
    const inventory = createInventoryClient({ url: host.url, tokens, connectTimeoutMs: 4000 });
    const error = await failureOf(inventory.reserve('00000000-0000-4000-8000-000000000001', [], { requestId: 'test', deadline: new Deadline(1000) }));
    expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', reason: 'timeout' });
    // Given up while connecting: whether the request was written is not known, so placeOrder releases.
    expect(mayHaveActed(error)).toBe(true);
    await inventory.close();
  });

  it("orders' event publisher gives up after EVENTS_TIMEOUT_MS while connecting", async () => {
    const publisher = httpPublisher({ url: host.url, timeoutMs: 800, tokens });
    expect(isTimeout(await failureOf(publisher.publish([])))).toBe(true);
    await publisher.close();
  });

  it("notifications' recipient lookup gives up after USERS_TIMEOUT_MS while connecting", async () => {
    const lookup = usersRecipientLookup({ url: host.url, timeoutMs: 800, tokens });
    expect(isTimeout(await failureOf(lookup(['00000000-0000-4000-8000-000000000001'])))).toBe(true);
  });
});
