// `npm run dead-letters`: what an operator does with parked order events, against the
// orders database the orders service would open (ORDERS_DATABASE_URL, or the embedded
// one under DATA_DIR, which only one process may open: stop the orders service first).
//   npm run dead-letters                        lists them, oldest first, with why
//   npm run dead-letters -- requeue <id>…       moves these back into the outbox
//   npm run dead-letters -- requeue --all       moves every one back
// A moved event is delivered by the relay at its next pass, as if new.
import { openDatabase } from '../../platform/database.js';
import { isUpToDate } from '../../platform/migrator.js';
import { readOrdersConfig } from './config.js';
import { listDeadLetters, requeueDeadLetters } from './deadLetters.js';
import { PrismaClient } from './generated/prisma/client.js';

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
  const config = readOrdersConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const prisma = new PrismaClient({ adapter: database.adapter });
  try {
    if (!(await isUpToDate(database, config.migrationsDir))) {
      console.error(`The orders database at ${database.location} is not migrated to this version; start the orders service once first.`);
      return 1;
    }
    if (command === 'requeue') {
      const moved = await requeueDeadLetters(prisma, rest.includes('--all') ? undefined : rest);
      console.log(`${moved.length} event(s) moved back into the outbox${moved.length ? `: ${moved.join(', ')}` : ''}`);
      return 0;
    }
    const parked = await listDeadLetters(prisma);
    if (parked.length === 0) console.log('No parked order events.');
    for (const row of parked) {
      console.log(`${row.id}  ${row.type}  order ${row.orderId}  parked ${row.parkedAt.toISOString()} after ${row.attempts} attempt(s)\n    ${row.reason.split('\n').join('\n    ')}`);
    }
    return 0;
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error((error as Error).message);
  return 1;
});
