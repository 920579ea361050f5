// Checkouts stuck behind a locked product row, with the default settings: someone holds
// the row for 8 s (a long admin transaction, a vacuum, a stuck session) while buyers
// check out through the gateway. Every buyer must hear a definite answer in time, no
// stock may stay held without an order once the answers are in (checked at once, not
// after the reservation TTL), and lock contention must not open orders' circuit to
// inventory. PostgreSQL only: the embedded PGlite has one connection, so no row locks.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { onPostgres } from './support/databases.js';
import { expectStockInvariant } from './support/invariants.js';
import { startStack, type GraphQLResponse, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
const LOCK_HELD_MS = 8000;
const BUYERS = 6;

let stack: Stack;

const suite = onPostgres ? describe : describe.skip;

/** Customers with tokens, made directly (no password hashing: this test is about orders). */
async function customers(count: number): Promise<string[]> {
  const users = await Promise.all(
    Array.from({ length: count }, (_, i) => stack.users.prisma.user.create({ data: { email: `locked-${i}@example.com`, name: `Buyer ${i}`, passwordHash: 'x' } })),
  );
  return Promise.all(users.map((user) => stack.users.tokens.signUser({ id: user.id, role: user.role })));
}

/** orders' circuit to inventory, read from its own metrics: 1 while open or half-open. */
async function ordersCircuitOpen(): Promise<number> {
  const text = await stack.orders.metrics.registry.getSingleMetricAsString('circuit_breaker_open');
  const line = text.split('\n').find((l) => l.includes('target="inventory"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/**
 * Holds the product's row lock in an open transaction on one of inventory's own pooled
 * connections until `release` resolves; `locked` resolves once the lock is held.
 */
function holdRowLock(productId: string, release: Promise<void>): { locked: Promise<void>; done: Promise<void> } {
  let signalLocked!: () => void;
  const locked = new Promise<void>((resolve) => (signalLocked = resolve));
  const done = stack.inventory.database.withSession(async (session) => {
    await session.query('BEGIN');
    await session.query('SELECT id FROM products WHERE id = $1 FOR UPDATE', [productId]);
    signalLocked();
    await release;
    await session.query('ROLLBACK');
  });
  return { locked, done };
}

/** Waits until no other session of inventory's database is inside a transaction (late reservations settled). */
function inventoryIdle(): Promise<void> {
  return waitFor('inventory to finish the reservations still running', async () => {
    const [busy] = await stack.inventory.database.withSession((session) =>
      session.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`,
      ),
    );
    return busy!.n === 0;
  }, { everyMs: 50 });
}

const isUnknown = (answer: GraphQLResponse) => answer.errors?.some((error) => error.extensions?.outcome === 'unknown') ?? false;

suite('checkouts behind a product row locked for 8 s, default settings', () => {
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('every buyer gets an order, a definite refusal or "unknown" that a retry resolves; nothing stays held; the circuit stays closed', async () => {
    const item = await stack.inventory.prisma.product.create({ data: { sku: 'LOCKED', name: 'Locked', priceCents: 700, stock: 100 } });
    const tokens = await customers(BUYERS + 1);
    const inputs = tokens.map((_, i) => ({ items: [{ productId: item.id, quantity: 2 }], idempotencyKey: `locked-checkout-${i}` }));
    const circuit = sampleOrdersCircuit();
    let answers: GraphQLResponse[];
    try {
      answers = await checkOutBehindLock(item.id, tokens.slice(0, BUYERS), inputs);
    } finally {
      await circuit.stop();
    }
    // Checked at once: nothing held without an order, though the lock has only just gone.
    await expectStockInvariant(stack.inventory, stack.orders);

    for (const answer of answers) {
      if (answer.data?.placeOrder) {
        expect(answer.data.placeOrder.status).toBe('PENDING');
      } else if (!isUnknown(answer)) {
        // A definite refusal: inventory reserved nothing, and said so in time.
        expect(answer.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory' });
        expect(answer.errors![0]!.message).toMatch(/nothing was reserved/);
      }
    }
    // "unknown" is resolved by retrying with the same key: the order, or a definite refusal.
    for (const [i, answer] of answers.entries()) {
      if (isUnknown(answer)) expect(isUnknown(await stack.query(PLACE, { input: inputs[i] }, { token: tokens[i] }))).toBe(false);
    }
    await expectStockInvariant(stack.inventory, stack.orders);

    // Lock contention is not an outage: orders' circuit never opened, and the next checkout goes through.
    expect(circuit.everOpen()).toBe(0);
    const later = await stack.query(PLACE, { input: inputs[BUYERS] }, { token: tokens[BUYERS] });
    expect(later.errors).toBeUndefined();
    expect(later.data.placeOrder.status).toBe('PENDING');
    await expectStockInvariant(stack.inventory, stack.orders);
  }, 60_000);
});

/** The buyers check out at once while the product's row is locked (for LOCK_HELD_MS at most); their answers once the lock is gone. */
async function checkOutBehindLock(productId: string, tokens: string[], inputs: unknown[]): Promise<GraphQLResponse[]> {
  let releaseLock!: () => void;
  const lock = holdRowLock(productId, new Promise<void>((resolve) => (releaseLock = resolve)));
  await lock.locked;
  const holding = setTimeout(releaseLock, LOCK_HELD_MS);
  try {
    return await Promise.all(tokens.map((token, i) => stack.query(PLACE, { input: inputs[i] }, { token })));
  } finally {
    // Answers first, then the lock goes, then any reservation still queued behind it finishes.
    clearTimeout(holding);
    releaseLock();
    await lock.done;
    await inventoryIdle();
  }
}

/** Reads orders' circuit to inventory every 20 ms until stopped: whether it was ever open, even for a moment. */
function sampleOrdersCircuit(): { everOpen(): number; stop(): Promise<void> } {
  let everOpen = 0;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      everOpen = Math.max(everOpen, await ordersCircuitOpen());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    everOpen: () => everOpen,
    async stop() {
      sampling = false;
      await loop;
    },
  };
}
