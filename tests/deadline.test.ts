// One deadline per request, as inventory sees it: a budget read from the request header,
// a reservation never started once the budget is spent and never committed after it, a
// lock wait bounded by it, and a release that waits for a reservation of the same order
// still in progress. The row-lock cases need PostgreSQL (PGlite has one connection).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { answerMargin, BUDGET_HEADER, Deadline, DEFAULT_BUDGET_MS, MAX_BUDGET_MS } from '../platform/deadline.js';
import { releaseReservation, reserveStock } from '../subgraphs/inventory/reservations.js';
import type { InventoryService } from '../subgraphs/inventory/server.js';
import { onPostgres } from './support/databases.js';
import { truncateAll } from './support/execute.js';
import { bootInventory } from './support/services.js';
import { waitFor } from './support/wait.js';

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [ReservationLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) { productId quantity } }`;
const SETTINGS = { ttlSeconds: 120, maxWaitMs: 60_000 };

describe('a Deadline', () => {
  it('reads the budget header as milliseconds from now, and falls back to the default without a valid one', () => {
    expect(Deadline.fromHeader('2500').budgetMs).toBe(2500);
    expect(Deadline.fromHeader(' 0 ').budgetMs).toBe(0);
    for (const bad of [undefined, '', 'soon', '-5', '1.5', '1e9', '12345678901']) expect(Deadline.fromHeader(bad).budgetMs).toBe(DEFAULT_BUDGET_MS);
    expect(Deadline.fromHeader('999999999').budgetMs).toBe(MAX_BUDGET_MS);
  });

  it('keeps a tenth of its budget (20 ms to 1 s) to answer, and gives a callee what is left before it', () => {
    expect([answerMargin(100), answerMargin(2000), answerMargin(10_000), answerMargin(60_000)]).toEqual([20, 200, 1000, 1000]);
    let now = 0;
    const deadline = new Deadline(10_000, () => now);
    expect(deadline.nextCall()).toEqual({ budgetMs: 9000, timeoutMs: 9500 });
    now = 8000;
    expect(deadline.nextCall()).toEqual({ budgetMs: 1000, timeoutMs: 1500 });
    expect(deadline.spent).toBe(false);
    now = 9000;
    expect(deadline.spent).toBe(true);
    expect(deadline.nextCall()).toBeUndefined();
    // What is left of the margin still allows a short clean-up call, answered before the caller gives up.
    expect(deadline.finalCall()).toEqual({ budgetMs: 500, timeoutMs: 750 });
    now = 10_000;
    expect(deadline.finalCall()).toBeUndefined();
  });
});

describe('inventory under a deadline', () => {
  let inventory: InventoryService;
  let url: string;
  beforeAll(async () => {
    inventory = await bootInventory({ env: { RESERVATION_MAX_WAIT_MS: String(SETTINGS.maxWaitMs) } });
    url = (await inventory.listen(0, '127.0.0.1')).url;
  });
  afterAll(() => inventory.stop());
  beforeEach(() => truncateAll(inventory.database));

  const product = () => inventory.prisma.product.create({ data: { sku: `D-${randomUUID().slice(0, 8)}`, name: 'Timed', priceCents: 100, stock: 10 } });
  const reserved = async (id: string) => (await inventory.prisma.product.findUniqueOrThrow({ where: { id } })).reserved;

  /** reserveStock over HTTP as the orders service, with `budgetMs` in the header (none when undefined). */
  async function reserveOverHttp(productId: string, budgetMs?: number) {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${await inventory.tokens.signService('orders')}` };
    if (budgetMs !== undefined) headers[BUDGET_HEADER] = String(budgetMs);
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: RESERVE, variables: { orderId: randomUUID(), lines: [{ productId, quantity: 2 }] } }),
    });
    return (await response.json()) as { data?: unknown; errors?: { message: string; extensions: Record<string, unknown> }[] };
  }

  it('refuses to start a reservation whose budget is spent: SUBGRAPH_UNAVAILABLE, nothing reserved', async () => {
    const item = await product();
    const spent = await reserveOverHttp(item.id, 0);
    expect(spent.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', reason: 'timeout' });
    expect(spent.errors![0]!.message).toMatch(/nothing was reserved/);
    await expect(reserveStock(inventory.prisma, randomUUID(), [{ productId: item.id, quantity: 2 }], SETTINGS, new Deadline(0))).rejects.toMatchObject({
      extensions: { reason: 'timeout' },
    });
    expect(await reserved(item.id)).toBe(0);
    // Without the header a direct call gets the default budget, and goes through.
    expect((await reserveOverHttp(item.id)).errors).toBeUndefined();
    expect(await reserved(item.id)).toBe(2);
  });

  (onPostgres ? describe : describe.skip)('behind a locked row (PostgreSQL)', () => {
    /** Holds the product's row in an open transaction until `release` resolves. */
    function holdRow(productId: string, release: Promise<void>) {
      let locked!: () => void;
      const held = new Promise<void>((resolve) => (locked = resolve));
      const done = inventory.database.withSession(async (session) => {
        await session.query('BEGIN');
        await session.query('SELECT id FROM products WHERE id = $1 FOR UPDATE', [productId]);
        locked();
        await release;
        await session.query('ROLLBACK');
      });
      return { held, done };
    }
    const waitingOnLocks = () =>
      inventory.database.withSession(async (session) => {
        const [row] = await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return row!.n;
      });

    it('never commits after its deadline: a reservation still waiting when time runs out reserves nothing', async () => {
      const item = await product();
      let now = 0;
      const deadline = new Deadline(60_000, () => now); // a clock this test moves
      let release!: () => void;
      const row = holdRow(item.id, new Promise<void>((resolve) => (release = resolve)));
      await row.held;
      const attempt = reserveStock(inventory.prisma, randomUUID(), [{ productId: item.id, quantity: 2 }], SETTINGS, deadline).catch((error: unknown) => error);
      await waitFor('the reservation to wait for the row', async () => (await waitingOnLocks()) === 1, { everyMs: 20 });
      now = 60_000; // its budget runs out while it waits; then the row is free again
      release();
      await row.done;
      expect(await attempt).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', reason: 'timeout' } });
      expect(await reserved(item.id)).toBe(0);
      expect(await inventory.prisma.reservation.count()).toBe(0);
    });

    it('waits for a locked row no longer than the budget allows, then answers that nothing was reserved', async () => {
      const item = await product();
      let release!: () => void;
      const row = holdRow(item.id, new Promise<void>((resolve) => (release = resolve)));
      await row.held;
      // RESERVATION_MAX_WAIT_MS is 60 s here: only the 1 s budget can end the wait. The row
      // is let go once the answer is in (or after 20 s, when the answer would be too late anyway).
      const letGo = setTimeout(release, 20_000);
      const answer = await reserveOverHttp(item.id, 1000);
      clearTimeout(letGo);
      release();
      await row.done;
      expect(answer.errors![0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory' });
      expect(answer.errors![0]!.message).toMatch(/nothing was reserved/);
      await waitFor('inventory to be idle', async () => (await waitingOnLocks()) === 0);
      expect(await reserved(item.id)).toBe(0);
    });

    it('makes a release wait for a reservation of the same order still in progress, then releases what it made', async () => {
      const item = await product();
      const orderId = randomUUID();
      let letGo!: () => void;
      const row = holdRow(item.id, new Promise<void>((resolve) => (letGo = resolve)));
      await row.held;
      const reserving = reserveStock(inventory.prisma, orderId, [{ productId: item.id, quantity: 2 }], SETTINGS, new Deadline(30_000));
      await waitFor('the reservation to wait for the row', async () => (await waitingOnLocks()) === 1, { everyMs: 20 });
      // The release arrives while the reservation is stuck: it must not find "nothing" and
      // leave, or the reservation would commit after it and hold the stock for nobody.
      const releasing = releaseReservation(inventory.prisma, orderId, new Deadline(30_000), { unconfirmedOnly: true });
      await waitFor('the release to wait for the reservation', async () => (await waitingOnLocks()) === 2, { everyMs: 20 });
      letGo();
      await row.done;
      expect(await reserving).toEqual([expect.objectContaining({ productId: item.id, quantity: 2 })]);
      expect(await releasing).toBe('APPLIED');
      expect(await reserved(item.id)).toBe(0);
    });
  });
});
