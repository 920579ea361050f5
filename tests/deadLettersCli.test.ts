// `npm run dead-letters` as an operator runs it: a real process against the orders
// database (a PGlite folder, or a PostgreSQL database with TEST_POSTGRES_URL) lists the
// parked events with why, and moves them back into the outbox; with TEST_NATS_URL, the
// same for the stream's dead-letter subject.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database } from '../platform/database.js';
import { migrate } from '../platform/migrator.js';
import { fromRoot } from '../platform/paths.js';
import { deadLetterSubject } from '../platform/events.js';
import { parkEvent } from '../subgraphs/orders/deadLetters.js';
import { PrismaClient } from '../subgraphs/orders/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { deleteStream } from './support/nats.js';
import { placedEvent } from './support/poison.js';

let testDatabase: TestDatabase;
let dataDir: string;
let env: Record<string, string>;

/** Opens the orders database the way the CLI will find it, for `work`, and closes it (PGlite allows one process). */
async function withOrders<T>(work: (prisma: PrismaClient, database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(testDatabase.url ? { url: testDatabase.url } : { dataDir: path.join(dataDir, 'orders') });
  const prisma = new PrismaClient({ adapter: database.adapter });
  try {
    return await work(prisma, database);
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

function cli(...args: string[]): Promise<{ code: number | null; out: string }> {
  // NODE_OPTIONS carries jest's VM-modules flag, which the process must not inherit.
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  const child = spawn(process.execPath, [fromRoot('dist/subgraphs/orders/deadLettersCli.js'), ...args], { env: { ...inherited, NODE_ENV: 'development', ...env } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

beforeAll(async () => {
  testDatabase = await createTestDatabase('dead_letters');
  dataDir = await mkdtemp(path.join(tmpdir(), 'dead-letters-'));
  env = testDatabase.url ? { ORDERS_DATABASE_URL: testDatabase.url } : { DATA_DIR: dataDir };
}, 120_000);
afterAll(async () => {
  await testDatabase.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm run dead-letters', () => {
  it('lists the parked events with why, and moves them back into the outbox', async () => {
    const event = placedEvent();
    await withOrders(async (prisma, database) => {
      await migrate(database, fromRoot('prisma/orders/migrations'));
      await prisma.outboxEvent.create({ data: event });
      await parkEvent(prisma, event.id, { attempts: 10, reason: 'notifications refused the call as too large (HTTP 413, 1 events)' });
    });

    const listed = await cli();
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${event.id}  order.placed  order ${event.orderId}`);
    expect(listed.out).toContain('after 10 attempt(s)');
    expect(listed.out).toContain('HTTP 413');

    expect(await cli('requeue')).toMatchObject({ code: 2 });
    const moved = await cli('requeue', '--all');
    expect(moved).toMatchObject({ code: 0, out: expect.stringContaining(`1 event(s) moved back into the outbox: ${event.id}`) });
    await withOrders(async (prisma) => {
      expect(await prisma.outboxEvent.findUnique({ where: { id: event.id } })).toMatchObject({ attempts: 0, publishedAt: null, orderId: event.orderId });
      expect(await prisma.outboxDeadLetter.count()).toBe(0);
    });
    expect((await cli()).out).toContain('No parked order events in the outbox.');
  }, 180_000);
});

const NATS_URL = process.env.TEST_NATS_URL;
(NATS_URL ? describe : describe.skip)('npm run dead-letters with NATS_URL', () => {
  const stream = `TEST_CLI_${randomUUID().slice(0, 8)}`;
  afterAll(() => deleteStream(NATS_URL!, stream));

  it('also lists the stream’s dead letters with why, and sends them back to their order’s subject', async () => {
    const event = placedEvent();
    await withOrders((_prisma, database) => migrate(database, fromRoot('prisma/orders/migrations')));
    Object.assign(env, { NATS_URL: NATS_URL!, NATS_STREAM: stream });
    expect((await cli()).out).toContain(`No dead letters in ${stream}.dead.*.`);
    const nats = await connect({ servers: NATS_URL });
    try {
      // As the notifications consumer leaves one.
      const head = headers();
      head.set('Dead-Letter-Reason', 'this notification cannot be stored');
      head.set('Deliveries', '20');
      await jetstream(nats).publish(deadLetterSubject(stream, event.orderId), JSON.stringify(event.payload), { headers: head });

      const listed = await cli();
      expect(listed.out).toContain(`${event.id}  order.placed  order ${event.orderId}`);
      expect(listed.out).toContain('after 20 deliveries');
      expect(listed.out).toContain('this notification cannot be stored');
      expect((await cli('requeue', event.id)).out).toContain(`1 event(s) sent back from ${stream}.dead.* to their order's subject: ${event.id}`);
      const back = await (await jetstreamManager(nats)).streams.getMessage(stream, { last_by_subj: `${stream}.order.${event.orderId}` });
      expect(back!.json<{ id: string }>().id).toBe(event.id);
      expect((await cli()).out).toContain(`No dead letters in ${stream}.dead.*.`);
    } finally {
      await nats.close();
    }
  }, 180_000);
});
