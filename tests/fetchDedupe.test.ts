// In-flight deduplication at the gateway (gateway/inFlight.ts): identical queries from one
// caller that overlap go to a subgraph once. Real subgraphs and gateway over HTTP; the
// gateway reaches users and inventory through counting proxies that can hold replies
// back, so requests overlap because the test says so, not because the machine is slow.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { SubgraphDataSource } from '../gateway/dataSource.js';
import { fetchesSavedCounter } from '../gateway/inFlight.js';
import { createSubgraphFetcher } from '../gateway/subgraphFetcher.js';
import { Deadline } from '../platform/deadline.js';
import { createMetrics } from '../platform/metrics.js';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { startStack, type GraphQLResponse, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

const CATALOGUE = 'query Catalogue { products(first: 3) { nodes { id name stock } } }';
const ME = 'query Me { me { id email } }';

let stack: Stack;
const proxies: Partial<Record<'users' | 'inventory', FaultyProxy>> = {};
let customers: { token: string; id: string; email: string }[];

beforeAll(async () => {
  stack = await startStack({
    demoData: true,
    gatewayRoute: async (name, url) => {
      if (name !== 'users' && name !== 'inventory') return url;
      proxies[name] = await startFaultyProxy(url);
      return proxies[name]!.url;
    },
  });
  customers = [];
  for (const who of ['dedupe-a', 'dedupe-b']) {
    const email = `${who}-${Date.now()}@example.com`;
    const result = await stack.query('mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id } } }', {
      input: { email, name: who, password: 'long-enough-password' },
    });
    customers.push({ token: result.data.signUp.token, id: result.data.signUp.user.id, email });
  }
});
afterAll(async () => {
  await stack?.stop();
  await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
});

/** Requests the gateway has sent to a subgraph so far. */
const sent = (subgraph: 'users' | 'inventory') => proxies[subgraph]!.requests.filter((chunk) => chunk.startsWith('POST ')).length;

/** gateway_subgraph_fetches_deduplicated_total for a subgraph, from the gateway's /metrics. */
async function saved(subgraph: string, gatewayUrl = stack.gatewayUrl): Promise<number> {
  const text = await (await fetch(new URL('/metrics', gatewayUrl))).text();
  const line = text.split('\n').find((l) => l.startsWith('gateway_subgraph_fetches_deduplicated_total{') && l.includes(`subgraph="${subgraph}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Sends `count` copies of a query at once, replies held at `subgraph` until `ready` holds. */
async function overlapping<T>(subgraph: 'users' | 'inventory', requests: (() => Promise<T>)[], ready: () => Promise<boolean>): Promise<T[]> {
  const proxy = proxies[subgraph]!;
  proxy.holdReplies = true;
  const answers = Promise.all(requests.map((send) => send()));
  try {
    await waitFor('the requests to overlap at the gateway', ready);
  } finally {
    proxy.releaseReplies();
  }
  return answers;
}

describe('identical queries in flight at once', () => {
  it('go to the subgraph once for one caller, and the saved fetches are counted', async () => {
    const [before, savedBefore] = [sent('inventory'), await saved('inventory')];
    const answers = await overlapping(
      'inventory',
      Array.from({ length: 5 }, () => () => stack.query(CATALOGUE)),
      async () => (await saved('inventory')) - savedBefore === 4,
    );
    expect(sent('inventory') - before).toBe(1);
    expect(answers.map((answer) => answer.errors)).toEqual(Array(5).fill(undefined));
    expect(answers[0]!.data.products.nodes).toHaveLength(3);
    for (const answer of answers) expect(answer.data).toEqual(answers[0]!.data);
  });

  it('are fetched once per caller: two customers never share a fetch, each gets its own data', async () => {
    const [a, b] = customers as [(typeof customers)[0], (typeof customers)[0]];
    const [before, savedBefore] = [sent('users'), await saved('users')];
    const answers = await overlapping<GraphQLResponse>(
      'users',
      [a, b, a, b, a, b].map((who) => () => stack.query(ME, {}, { token: who.token })),
      async () => (await saved('users')) - savedBefore === 4,
    );
    expect(sent('users') - before).toBe(2);
    answers.forEach((answer, i) => {
      const who = i % 2 === 0 ? a : b;
      expect(answer.data).toEqual({ me: { id: who.id, email: who.email } });
    });
  });

  it('are each sent when SUBGRAPH_DEDUPE=false', async () => {
    const other = await stack.addGateway({ SUBGRAPH_DEDUPE: 'false' });
    const before = sent('inventory');
    const answers = await overlapping(
      'inventory',
      Array.from({ length: 3 }, () => () => stack.query(CATALOGUE, {}, { url: other.url })),
      async () => sent('inventory') - before === 3,
    );
    expect(answers.map((answer) => answer.errors)).toEqual(Array(3).fill(undefined));
    expect(await saved('inventory', other.url)).toBe(0);
  });
});

describe('what is never shared', () => {
  it('a mutation sent twice at once is sent twice, and carried out twice', async () => {
    const admin = await stack.adminToken();
    const product = (await stack.query(CATALOGUE)).data.products.nodes[0];
    const [before, savedBefore] = [sent('inventory'), await saved('inventory')];
    const RESTOCK = 'mutation Restock($id: ID!) { restock(productId: $id, quantity: 1) { stock } }';
    const answers = await overlapping(
      'inventory',
      [1, 2].map(() => () => stack.query(RESTOCK, { id: product.id }, { token: admin })),
      async () => sent('inventory') - before === 2,
    );
    expect(answers.map((answer) => answer.errors)).toEqual([undefined, undefined]);
    // Both applied. (What each answered may already include the other: on PostgreSQL the two run at once.)
    const after = (await stack.query('query P($id: ID!) { product(id: $id) { stock } }', { id: product.id })).data.product;
    expect(after.stock).toBe(product.stock + 2);
    expect(await saved('inventory')).toBe(savedBefore);
  });
});

describe('a shared fetch that fails, or a caller that leaves', () => {
  it("delivers the failure to every caller waiting on it, counts it once against the circuit, and keeps nothing", async () => {
    const proxy = proxies.inventory!;
    const [before, savedBefore] = [sent('inventory'), await saved('inventory')];
    proxy.holdReplies = true;
    const answers = Promise.all(Array.from({ length: 6 }, () => stack.query(CATALOGUE)));
    await waitFor('six callers on one fetch', async () => (await saved('inventory')) - savedBefore === 5);
    // Inventory dies with the fetch on its way: the cut, then every retry, refused.
    proxy.refuse = true;
    proxy.cutAll();
    proxy.releaseReplies();
    for (const answer of await answers) {
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory' });
    }
    expect(sent('inventory') - before).toBe(1);
    // Inventory is back. Six callers counted alone would have opened the circuit (threshold 5,
    // three attempts each); the one fetch counted once did not, and nothing of it was kept.
    proxy.refuse = false;
    const next = await stack.query(CATALOGUE);
    expect(next.errors).toBeUndefined();
    expect(next.data.products.nodes).toHaveLength(3);
    expect(sent('inventory') - before).toBe(2);
  });

  it('a client that disconnects does not cancel the fetch for the others waiting on it', async () => {
    const proxy = proxies.inventory!;
    const [before, savedBefore] = [sent('inventory'), await saved('inventory')];
    proxy.holdReplies = true;
    // The first caller starts the fetch, then goes away while it is on its way.
    const leaving = new AbortController();
    const first = fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: CATALOGUE }),
      signal: leaving.signal,
    }).catch((error: { name: string }) => error);
    await waitFor('the first caller to start the fetch', async () => sent('inventory') - before === 1);
    const others = Promise.all(Array.from({ length: 3 }, () => stack.query(CATALOGUE)));
    await waitFor('three callers to join it', async () => (await saved('inventory')) - savedBefore === 3);
    leaving.abort();
    expect(await first).toMatchObject({ name: 'AbortError' });
    proxy.releaseReplies();
    for (const answer of await others) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.products.nodes).toHaveLength(3);
    }
    expect(sent('inventory') - before).toBe(1);
  });

  it('a caller with less time left than the fetch it joined gives up at its own deadline, and the fetch goes on', async () => {
    const { source, call } = dataSource();
    proxies.inventory!.holdReplies = true;
    const leader = call(new Deadline(20_000));
    const hurried = await call(new Deadline(300)).then(
      () => ({ extensions: 'answered' as unknown }),
      (error: { extensions?: unknown }) => error,
    );
    expect(hurried.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', reason: 'timeout' });
    expect(source.inFlight!.size).toBe(1);
    proxies.inventory!.releaseReplies();
    expect((await leader).data.products.nodes).toHaveLength(1);
    expect(source.inFlight!.size).toBe(0);
  });

  it('gives each caller its own copy of the answer: what one request merges into it, another never sees', async () => {
    const { call } = dataSource();
    proxies.inventory!.holdReplies = true;
    const first = call(new Deadline(20_000));
    const second = call(new Deadline(20_000));
    proxies.inventory!.releaseReplies();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual(b);
    a.data.products.nodes[0].name = 'merged by another request';
    expect(b.data.products.nodes[0].name).not.toBe('merged by another request');
  });
});

/** The gateway's data source for inventory on its own, so a test can choose each caller's deadline. */
function dataSource() {
  const metrics = createMetrics('gateway-test');
  const source = new SubgraphDataSource(
    'inventory',
    proxies.inventory!.url,
    { requestTimeoutMs: 10_000 },
    metrics,
    createSubgraphFetcher({ connectTimeoutMs: 10_000 }),
    fetchesSavedCounter(metrics.registry),
  );
  const call = async (deadline: Deadline) =>
    (await source.process({
      kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
      request: { query: '{ products(first: 1) { nodes { id name } } }' },
      context: { caller: null, requestId: 'test', clientIp: '127.0.0.1', whenAnswered: () => {}, deadline },
    } as never)) as { data: { products: { nodes: { id: string; name: string }[] } } };
  return { source, call };
}
