// NATS itself down, for real: a private nats-server (JetStream on, its store in a temp
// folder) is SIGKILLed while orders are placed, then started again on the same store.
// Checkouts go on meanwhile, the events wait in the outbox, and once NATS is back every
// order's confirmation arrives exactly once. Runs where TEST_NATS_URL says NATS is
// available here (the nats-server binary comes with it).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from './support/processes.js';
import { startStack, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

const describeWithNats = process.env.TEST_NATS_URL ? describe : describe.skip;
const ORDERS = 5;

describeWithNats('NATS down while orders are placed', () => {
  let storeDir: string;
  let port: number;
  let nats: ChildProcess | undefined;
  let stack: Stack;
  let token: string;
  let productId: string;

  async function startNats(): Promise<void> {
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    await waitFor('nats-server', async () => {
      const { createConnection } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const socket = createConnection(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        }).on('error', () => resolve(false));
      });
    });
  }
  const stopNats = () =>
    new Promise<void>((resolve) => {
      if (!nats || nats.exitCode !== null) return resolve();
      nats.once('exit', () => resolve());
      nats.kill('SIGKILL');
    });
  const confirmations = async () =>
    (await stack.query('{ me { notifications(first: 100) { nodes { kind order { id } } } } }', {}, { token })).data.me.notifications.nodes as { kind: string; order: { id: string } }[];

  beforeAll(async () => {
    storeDir = await mkdtemp(path.join(tmpdir(), 'nats-outage-'));
    port = await freePort();
    await startNats();
    stack = await startStack({ demoData: true, env: { OUTBOX_RELAY_MS: '100', NOTIFY_SWEEP_MS: '100', NATS_URL: `nats://127.0.0.1:${port}`, NATS_STREAM: 'OUTAGE' } });
    token = await stack.logIn('ada@example.com', 'customer-password');
    const products = (await stack.query('{ products(first: 50) { nodes { id available } } }')).data.products.nodes as { id: string; available: number }[];
    productId = products.sort((a, b) => b.available - a.available)[0]!.id;
    const events = await stack.orders.prisma.outboxEvent.count();
    await waitFor('the demo events', async () => (await stack.notifications.prisma.notification.count()) === events);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await stopNats();
    await rm(storeDir, { recursive: true, force: true });
  });

  it('checkouts go on, the events wait in the outbox, and each arrives once when NATS is back', async () => {
    const before = (await confirmations()).length;
    await stopNats();
    const placed: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const result = await stack.query('mutation($p: ID!) { placeOrder(input: { items: [{ productId: $p, quantity: 1 }] }) { id } }', { p: productId }, { token });
      expect(result.errors).toBeUndefined();
      placed.push(result.data.placeOrder.id);
    }
    await waitFor('the events waiting in the outbox', async () => (await stack.orders.prisma.outboxEvent.count({ where: { publishedAt: null } })) === ORDERS);

    await startNats();
    await waitFor(`${ORDERS} new confirmations`, async () => (await confirmations()).length >= before + ORDERS, { timeoutMs: 40_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a duplicate to show up
    const after = await confirmations();
    expect(after).toHaveLength(before + ORDERS);
    const ours = after.filter((note) => placed.includes(note.order.id));
    expect(new Set(ours.map((note) => note.order.id)).size).toBe(ORDERS);
    expect(ours.every((note) => note.kind === 'order.placed')).toBe(true);
    expect(await stack.orders.prisma.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);
  }, 90_000);
});
