// `npm run bench:checkout`: what a buyer hears, and how soon, when a checkout meets trouble
// between orders and inventory, with the default settings (the figures in README's
// "Orders and stock" table). In-process stack over real HTTP on PostgreSQL
// (TEST_POSTGRES_URL, which the npm script defaults to the local server: a locked row
// needs connections of its own, which the embedded PGlite does not have);
// TCP proxies between gateway and orders and between orders and inventory play the faults.
// After each scenario: the units held in inventory for no order, read at once.
import { startFaultyProxy, type FaultyProxy } from '../tests/support/faultyProxy.js';
import { startStack, type GraphQLResponse } from '../tests/support/stack.js';

if (!process.env.TEST_POSTGRES_URL) throw new Error('bench:checkout runs on PostgreSQL: set TEST_POSTGRES_URL (npm run bench:checkout does).');
const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';

const proxies: Record<string, FaultyProxy> = {};
const stack = await startStack({
  gatewayRoute: async (name, url) => (name === 'orders' ? (proxies.orders = await startFaultyProxy(url)).url : url),
  ordersToInventory: async (url) => (proxies.inventory = await startFaultyProxy(url)).url,
});
const users = await Promise.all(
  Array.from({ length: 20 }, (_, i) => stack.users.prisma.user.create({ data: { email: `faults-${i}@example.com`, name: `Buyer ${i}`, passwordHash: 'x' } })),
);
const tokens = await Promise.all(users.map((user) => stack.users.tokens.signUser({ id: user.id, role: user.role })));
let next = 0;
const product = await stack.inventory.prisma.product.create({ data: { sku: 'FAULTS', name: 'Faults', priceCents: 100, stock: 1_000_000 } });

/** One checkout by a buyer of its own: how long it took and what came back. */
async function checkOut(key: string): Promise<{ ms: number; answer: string; reply: GraphQLResponse }> {
  const token = tokens[next++ % tokens.length]!;
  const started = performance.now();
  const reply = await stack.query(PLACE, { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: key } }, { token });
  const error = reply.errors?.[0]?.extensions;
  const answer = error ? [error.code, error.subgraph, error.reason, error.outcome && `outcome ${error.outcome}`].filter(Boolean).join(' ') : 'placed';
  return { ms: performance.now() - started, answer, reply };
}

/** Units held in inventory with no PENDING order behind them. */
async function strandedUnits(): Promise<number> {
  const pending = await stack.orders.prisma.orderItem.aggregate({ where: { productId: product.id, order: { status: 'PENDING' } }, _sum: { quantity: true } });
  const { reserved } = await stack.inventory.prisma.product.findUniqueOrThrow({ where: { id: product.id } });
  return reserved - (pending._sum.quantity ?? 0);
}

async function ordersCircuit(): Promise<string> {
  const text = await stack.orders.metrics.registry.getSingleMetricAsString('circuit_breaker_open');
  return text.split('\n').find((line) => line.includes('target="inventory"'))?.endsWith(' 1') ? 'open' : 'closed';
}

function report(label: string, results: { ms: number; answer: string }[], stranded: number, circuit: string) {
  const counts = new Map<string, number>();
  for (const { answer } of results) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  console.log(`${label}`);
  console.log(`  answers: ${[...counts].map(([answer, n]) => `${n}× ${answer}`).join(', ')}`);
  console.log(`  answered after ${(times[0]! / 1000).toFixed(2)}–${(times.at(-1)! / 1000).toFixed(2)} s; units held for no order, at once: ${stranded}; orders' circuit to inventory: ${circuit}`);
}

const reset = () => {
  for (const proxy of Object.values(proxies)) Object.assign(proxy, { dropReplies: false, dropRequests: null, dropRepliesTo: null, blackhole: false, replyDelayMs: 0 });
};

// 1. The product's row locked for 8 s elsewhere while 6 buyers check out.
{
  let release!: () => void;
  let locked!: () => void;
  const held = new Promise<void>((resolve) => (locked = resolve));
  const done = stack.inventory.database.withSession(async (session) => {
    await session.query('BEGIN');
    await session.query('SELECT id FROM products WHERE id = $1 FOR UPDATE', [product.id]);
    locked();
    await new Promise<void>((resolve) => {
      release = resolve;
      setTimeout(resolve, 8000);
    });
    await session.query('ROLLBACK');
  });
  await held;
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => checkOut(`locked-${i}`)));
  const circuit = await ordersCircuit();
  release();
  await done;
  report('row locked for 8 s, 6 checkouts at once', results, await strandedUnits(), circuit);
}

// 2. Inventory reserves, and its answer is lost (connection cut).
reset();
proxies.inventory!.dropRepliesTo = /reserveStock/;
report('answer to the reservation lost', [await checkOut('lost-answer')], await strandedUnits(), await ordersCircuit());

// 3. Inventory hangs: requests swallowed, no answer, no reset.
reset();
proxies.inventory!.blackhole = true;
const hung = await checkOut('hung');
report('inventory hung (requests swallowed)', [hung], await strandedUnits(), await ordersCircuit());
reset();
const retried = await checkOut('hung');
report('  then the same idempotency key again, inventory back', [retried], await strandedUnits(), await ordersCircuit());

// 4. Orders places the order, and its answer reaches the gateway too late.
reset();
proxies.orders!.replyDelayMs = 12_000;
const late = await checkOut('late');
reset();
await new Promise((resolve) => setTimeout(resolve, 1000));
report('orders answers after the gateway gave up', [late], await strandedUnits(), await ordersCircuit());
const lateRetry = await checkOut('late');
report('  then the same idempotency key again', [lateRetry], await strandedUnits(), await ordersCircuit());

await stack.stop();
await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
