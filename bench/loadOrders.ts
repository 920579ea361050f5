// `npm run load`: N buyers placing orders for M seconds against a running supergraph
// (through the gateway, as clients would), then the stock invariant checked through the
// API. Prints orders/s, latency percentiles and what every request answered, then waits
// for every order's confirmation to reach its buyer's notifications and prints the
// delivery lag (order committed → notification stored, both read through the API).
//   npm run load -- --buyers 20 --seconds 30 [--url http://localhost:4000/graphql]
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:4000/graphql' },
    buyers: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '20' },
    products: { type: 'string', default: '10' },
    stock: { type: 'string', default: '2000' },
    'admin-email': { type: 'string', default: process.env.ADMIN_EMAIL ?? 'admin@example.com' },
    'admin-password': { type: 'string', default: process.env.ADMIN_PASSWORD ?? 'admin-password' },
  },
});
const url = values.url!;
const buyers = Math.min(Number(values.buyers), 500);
const seconds = Math.min(Number(values.seconds), 600);
const run = randomUUID().slice(0, 8);

interface Reply {
  data?: any;
  errors?: { message: string; extensions?: { code?: string; reason?: string; retryAfterSeconds?: number } }[];
}

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Reply;
}

/** Sign-ups run a password hash each: past a few at once the gateway and users answer "busy"; a client waits and tries again. */
async function retryWhileBusy(send: () => Promise<Reply>): Promise<Reply> {
  for (;;) {
    const reply = await send();
    const busy = reply.errors?.find((e) => e.extensions?.code === 'RATE_LIMITED' && e.extensions?.reason === 'busy');
    if (!busy) return reply;
    await new Promise((resolve) => setTimeout(resolve, Number(busy.extensions?.retryAfterSeconds ?? 1) * 1000));
  }
}

function must<T>(reply: Reply, pick: (data: any) => T): T {
  if (reply.errors?.length) throw new Error(reply.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; '));
  return pick(reply.data);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main() {
  const admin = must(await gql('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: values['admin-email'], p: values['admin-password'] }), (d) => d.logIn.token as string);

  const productIds: string[] = [];
  for (let i = 0; i < Number(values.products); i++) {
    const input = { sku: `LOAD-${run}-${i}`, name: `Load ${run} #${i}`, priceCents: 100 + i, stock: Number(values.stock) };
    productIds.push(must(await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, admin), (d) => d.createProduct.id));
  }
  const tokens = await Promise.all(
    Array.from({ length: buyers }, async (_, i) =>
      must(await retryWhileBusy(() => gql('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', { input: { email: `load-${run}-${i}@example.com`, name: `Load buyer ${i}`, password: 'load-test-password' } })), (d) => d.signUp.token as string),
    ),
  );
  console.log(`${buyers} buyers, ${productIds.length} products of ${values.stock} units, ${seconds} s against ${url}`);

  const latencies: number[] = [];
  const placedBy = tokens.map(() => new Set<string>());
  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();

  await Promise.all(
    tokens.map(async (token, buyer) => {
      while (Date.now() < deadline) {
        const lines = [...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => productIds[Math.floor(Math.random() * productIds.length)]!))];
        const items = lines.map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 3) }));
        const t0 = performance.now();
        const reply = await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items } }, token).catch(() => ({ errors: [{ message: 'network', extensions: { code: 'NETWORK' } }] }) as Reply);
        latencies.push(performance.now() - t0);
        const code = reply.errors?.[0]?.extensions?.code ?? 'PLACED';
        count(code);
        // Some buyers change their mind, and an admin ships some orders: every transition is exercised.
        const id = reply.data?.placeOrder?.id;
        if (id) placedBy[buyer]!.add(id);
        const roll = Math.random();
        if (id && roll < 0.15) count(`cancel ${(await gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id }, token)).errors?.[0]?.extensions?.code ?? 'ok'}`);
        else if (id && roll < 0.3) count(`complete ${(await gql('mutation($id: ID!) { completeOrder(id: $id) { id } }', { id }, admin)).errors?.[0]?.extensions?.code ?? 'ok'}`);
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const placed = outcomes.get('PLACED') ?? 0;
  console.log(`placeOrder: ${latencies.length} requests in ${elapsed.toFixed(1)} s, ${(placed / elapsed).toFixed(1)} orders/s placed`);
  console.log(`latency ms: p50 ${percentile(sorted, 50).toFixed(1)}  p99 ${percentile(sorted, 99).toFixed(1)}  max ${sorted.at(-1)?.toFixed(1)}`);
  console.log('answers:', Object.fromEntries([...outcomes].sort()));
  if ([...outcomes.keys()].some((key) => key.includes('LIMIT_EXCEEDED'))) {
    console.log('note: buyers hit the caps on PENDING orders per customer; for load runs start orders with PENDING_ORDERS_PER_CUSTOMER=0 PENDING_UNITS_PER_CUSTOMER=0');
  }
  if ([...outcomes.keys()].some((key) => key.includes('RATE_LIMITED'))) {
    console.log('note: the gateway rate-limited this run; for load runs start it with RATE_LIMIT_PER_IP=0 RATE_LIMIT_PER_USER=0 SIGNUPS_PER_IP=0');
  }

  await deliveryLag(tokens, placedBy);

  // The invariant, read through the API: for each product, reserved = Σ quantities of PENDING orders.
  const held = new Map<string, number>();
  let after: string | null = null;
  do {
    const page: any = must(await gql('query($after: String) { orders(first: 100, after: $after, status: PENDING) { nodes { items { quantity product { id } } } pageInfo { hasNextPage endCursor } } }', { after }, admin), (d) => d.orders);
    for (const order of page.nodes) for (const item of order.items) held.set(item.product.id, (held.get(item.product.id) ?? 0) + item.quantity);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  const problems: string[] = [];
  for (const id of productIds) {
    const product = must(await gql('query($id: ID!) { product(id: $id) { sku stock reserved } }', { id }), (d) => d.product);
    if (product.reserved !== (held.get(id) ?? 0) || product.stock < 0 || product.reserved < 0 || product.reserved > product.stock) {
      problems.push(`${product.sku}: stock ${product.stock}, reserved ${product.reserved}, held by PENDING orders ${held.get(id) ?? 0}`);
    }
  }
  console.log(problems.length === 0 ? `invariant OK on ${productIds.length} products: reserved = units of PENDING orders, nothing negative` : `INVARIANT BROKEN:\n  ${problems.join('\n  ')}`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}

/** Every item of a connection, page by page. */
async function all<T>(token: string, field: string, selection: string): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const page: any = must(await gql(`query($after: String) { me { ${field}(first: 100, after: $after) { nodes { ${selection} } pageInfo { hasNextPage endCursor } } } }`, { after }, token), (d) => d.me[field]);
    items.push(...page.nodes);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return items;
}

async function deliveryLag(tokens: string[], placedBy: Set<string>[]): Promise<void> {
  const expected = placedBy.reduce((sum, ids) => sum + ids.size, 0);
  const waitStarted = Date.now();
  let lags: number[] = [];
  for (;;) {
    lags = [];
    for (const [buyer, token] of tokens.entries()) {
      const created = new Map((await all<{ id: string; createdAt: string }>(token, 'orders', 'id createdAt')).map((order) => [order.id, Date.parse(order.createdAt)]));
      for (const note of await all<{ kind: string; createdAt: string; order: { id: string } | null }>(token, 'notifications', 'kind createdAt order { id }')) {
        if (note.kind !== 'order.placed' || !note.order || !placedBy[buyer]!.has(note.order.id)) continue;
        lags.push(Date.parse(note.createdAt) - created.get(note.order.id)!);
      }
    }
    if (lags.length >= expected || Date.now() - waitStarted > 120_000) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const sorted = lags.sort((a, b) => a - b);
  console.log(`order confirmations: ${lags.length} of ${expected} delivered (all within ${((Date.now() - waitStarted) / 1000).toFixed(1)} s of the run's end)`);
  console.log(`delivery lag ms (order committed → notification stored): p50 ${percentile(sorted, 50).toFixed(0)}  p99 ${percentile(sorted, 99).toFixed(0)}  max ${sorted.at(-1)?.toFixed(0)}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
