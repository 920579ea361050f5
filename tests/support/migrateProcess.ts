// The migrator in a process of its own, for tests that kill one half-way through a
// migration or make one wait on another's lock:
//   node migrateProcess.js <migrationsDir>
// on DATABASE_URL (PostgreSQL) or DATA_DIR (PGlite on disk), as APPLICATION_NAME, waiting
// at most LOCK_TIMEOUT_MS for the lock. SLEEP_SECONDS sets the session's
// `migration_test.sleep_seconds`, which a test's slow migration may read. Prints
// `applying <name>` as each migration's script begins and `applied <json>` at the end; a
// failure prints its message and exits 1.
import { openDatabase } from '../../platform/database.js';
import { migrate } from '../../platform/migrator.js';

const [migrationsDir] = process.argv.slice(2);
const env = process.env;
// One connection: the session setting below must be the one the migrator uses.
const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: 1, applicationName: env.APPLICATION_NAME });
let exitCode = 0;
try {
  if (env.SLEEP_SECONDS) await database.withSession((session) => session.query(`SELECT set_config('migration_test.sleep_seconds', $1, false)`, [env.SLEEP_SECONDS]));
  const applied = await migrate(database, migrationsDir!, {
    lockTimeoutMs: env.LOCK_TIMEOUT_MS ? Number(env.LOCK_TIMEOUT_MS) : undefined,
    onApplying: (name) => console.log(`applying ${name}`),
  });
  console.log(`applied ${JSON.stringify(applied)}`);
} catch (error) {
  console.error((error as Error).message);
  exitCode = 1;
} finally {
  await database.close();
}
process.exit(exitCode);
