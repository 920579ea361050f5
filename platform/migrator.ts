// Applies the SQL migrations in Prisma's layout (prisma/<subgraph>/migrations/<timestamp>_<name>/migration.sql)
// and records them in `_prisma_migrations` as `prisma migrate deploy` does, so that
// where Prisma's engine is available `prisma migrate status` agrees with us. Prisma's
// schema engine cannot be downloaded on our machines, hence this small migrator.
import { randomUUID } from 'node:crypto';
import type { Database, SqlSession } from './database.js';
import { MigrationError, readMigrations, scriptMatchesChecksum, type Migration } from './migrationFiles.js';
import { withMigrationLock } from './migrationLock.js';

export { MigrationError, readMigrations, type Migration } from './migrationFiles.js';

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrateOptions {
  /**
   * How long to wait for another process holding the migration lock before failing
   * with an error that names it; 0 waits for as long as it takes.
   * @default 60000
   */
  lockTimeoutMs?: number;
  /** Called as each pending migration begins, so a long one shows in the log while it runs. */
  onApplying?: (name: string) => void;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration, each in one transaction with its own record, under
 * an advisory lock: when several instances start at once against one database, one
 * applies and the others wait, then find nothing left to do. Returns the names it applied.
 */
export async function migrate(database: Database, migrationsDir: string, options: MigrateOptions = {}): Promise<string[]> {
  const { lockTimeoutMs = 60_000, onApplying } = options;
  const migrations = await readMigrations(migrationsDir);
  return database.withSession((session) =>
    withMigrationLock(session, lockTimeoutMs, async () => {
      await session.exec(CREATE_MIGRATIONS_TABLE);
      const applied = await appliedMigrations(session);
      const done: string[] = [];
      for (const migration of migrations) {
        const rows = applied.get(migration.name) ?? [];
        const finished = rows.find((row) => row.finished_at && !row.rolled_back_at);
        if (finished) {
          if (!scriptMatchesChecksum(migration.sql, finished.checksum)) {
            throw new MigrationError(`Migration ${migration.name} was changed after it was applied. Add a new migration instead of editing an applied one.`);
          }
          continue;
        }
        if (rows.some((row) => !row.finished_at && !row.rolled_back_at)) throw unfinished(migration.name);
        await applyOne(session, migration, onApplying);
        done.push(migration.name);
      }
      return done;
    }),
  );
}

/** True when every migration on disk is applied: what readiness checks ask. */
export async function isUpToDate(database: Database, migrationsDir: string): Promise<boolean> {
  const migrations = await readMigrations(migrationsDir);
  return database.withSession(async (session) => {
    const applied = await appliedMigrations(session);
    return migrations.every((migration) =>
      (applied.get(migration.name) ?? []).some((row) => row.finished_at && !row.rolled_back_at && scriptMatchesChecksum(migration.sql, row.checksum)),
    );
  });
}

async function appliedMigrations(session: SqlSession): Promise<Map<string, AppliedRow[]>> {
  const exists = await session.query<{ present: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
  const byName = new Map<string, AppliedRow[]>();
  if (!exists[0]?.present) return byName;
  const rows = await session.query<AppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  for (const row of rows) byName.set(row.migration_name, [...(byName.get(row.migration_name) ?? []), row]);
  return byName;
}

// Private: the record and the script commit together or not at all. A process killed
// half-way leaves no row and no change (the server, or PGlite's recovery, rolls the open
// transaction back), so the next start simply applies the migration. A script that fails
// is rolled back whole and then recorded as rolled back, as `prisma migrate resolve
// --rolled-back` would mark it, so that a fixed one is applied on the next start.
async function applyOne(session: SqlSession, migration: Migration, onApplying: MigrateOptions['onApplying']): Promise<void> {
  const id = randomUUID();
  await session.exec('BEGIN');
  try {
    await session.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, migration.checksum, migration.name],
    );
    onApplying?.(migration.name);
    await session.exec(migration.sql);
    await session.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1', [id]);
    await session.exec('COMMIT');
  } catch (error) {
    await session.exec('ROLLBACK').catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    await session.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, rolled_back_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), now(), 0)',
      [id, migration.checksum, migration.name, message],
    );
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`);
  }
}

// Private: a row neither finished nor rolled back cannot come from this migrator (its
// record commits with the script), only from `prisma migrate deploy` failing, or from the
// migrator before it made them one transaction being killed half-way. Whether the script
// took effect is then unknown, so it is for an operator to say, as `prisma migrate resolve` does.
function unfinished(name: string): MigrationError {
  const where = `WHERE migration_name = '${name}' AND finished_at IS NULL AND rolled_back_at IS NULL`;
  return new MigrationError(
    `Migration ${name} is recorded as started but never finished in _prisma_migrations (a failed \`prisma migrate deploy\`, or a crash of an older migrator); ` +
      `its changes may be partly there. Check the database, then either undo them and run ` +
      `UPDATE "_prisma_migrations" SET rolled_back_at = now() ${where} (it is applied again on the next start), ` +
      `or complete them and run UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 ${where}.`,
  );
}
