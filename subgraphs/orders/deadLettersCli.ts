// `npm run dead-letters`: what an operator does with parked order events, with the orders
// service's settings: the outbox's dead letters in the orders database
// (ORDERS_DATABASE_URL, or the embedded one under DATA_DIR, which only one process may
// open: stop the orders service first) and, with NATS_URL, the stream's dead-letter
// subject.
//   npm run dead-letters                        lists them, oldest first, with why
//   npm run dead-letters -- requeue <id>…       sends these events (by event id) again
//   npm run dead-letters -- requeue --all       sends every one again
// An event moved back into the outbox is delivered by the relay at its next pass; one
// sent back to its order's subject is read by the consumer, as if new.
import { openDatabase } from '../../platform/database.js';
import { connectEventStream } from '../../platform/eventStream.js';
import { createLogger } from '../../platform/logger.js';
import { isUpToDate } from '../../platform/migrator.js';
import { readOrdersConfig } from './config.js';
import { listDeadLetters, requeueDeadLetters } from './deadLetters.js';
import { PrismaClient } from './generated/prisma/client.js';
import { listStreamDeadLetters, requeueStreamDeadLetters } from './streamDeadLetters.js';

const USAGE = 'usage: npm run dead-letters [-- requeue <event id>… | -- requeue --all]';

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== undefined && command !== 'list' && command !== 'requeue') {
    console.error(USAGE);
    return 2;
  }
  if (command === 'requeue' && rest.length === 0) {
    console.error(`${USAGE}\nName the events to move back, or --all.`);
    return 2;
  }
  const ids = rest.includes('--all') ? undefined : rest;
  const config = readOrdersConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const prisma = new PrismaClient({ adapter: database.adapter });
  try {
    if (!(await isUpToDate(database, config.migrationsDir))) {
      console.error(`The orders database at ${database.location} is not migrated to this version; start the orders service once first.`);
      return 1;
    }
    if (command === 'requeue') {
      const moved = await requeueDeadLetters(prisma, ids);
      console.log(`${moved.length} event(s) moved back into the outbox${moved.length ? `: ${moved.join(', ')}` : ''}`);
    } else {
      const parked = await listDeadLetters(prisma);
      if (parked.length === 0) console.log('No parked order events in the outbox.');
      for (const row of parked) console.log(`${row.id}  ${row.type}  order ${row.orderId}  parked ${row.parkedAt.toISOString()} after ${row.attempts} attempt(s)\n${indent(row.reason)}`);
    }
  } finally {
    await prisma.$disconnect();
    await database.close();
  }

  const { natsUrl, stream } = config.events;
  if (!natsUrl) return 0;
  const connection = await connectEventStream(natsUrl, stream, 'dead-letters', createLogger('dead-letters', 'silent'));
  try {
    if (command === 'requeue') {
      const sent = await requeueStreamDeadLetters(connection, stream, ids);
      console.log(`${sent.length} event(s) sent back from ${stream}.dead.* to their order's subject${sent.length ? `: ${sent.join(', ')}` : ''}`);
    } else {
      const dead = await listStreamDeadLetters(connection, stream);
      if (dead.length === 0) console.log(`No dead letters in ${stream}.dead.*.`);
      for (const letter of dead) {
        console.log(`${letter.eventId}  ${letter.type}  order ${letter.orderId}  dead-lettered ${letter.parkedAt.toISOString()} after ${letter.deliveries} deliveries (${stream} #${letter.seq})\n${indent(letter.reason)}`);
      }
    }
  } finally {
    await connection.close();
  }
  return 0;
}

const indent = (text: string) => `    ${text.split('\n').join('\n    ')}`;

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error((error as Error).message);
  return 1;
});
