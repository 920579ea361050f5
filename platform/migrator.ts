// Applies the SQL migrations in Prisma's layout (prisma/<subgraph>/migrations/<timestamp>_<name>/migration.sql)
// and records them in `_prisma_migrations` exactly as `prisma migrate deploy` does, so that
// where Prisma's engine is available `prisma migrate status` agrees with us. Prisma's
// schema engine cannot be downloaded on our machines, hence this small migrator.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database, SqlSession } from './database.js';

/** The advisory lock key `prisma migrate` itself takes, so the two exclude each other too. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

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

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export async function readMigrations(migrationsDir: string): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory() && /^\d{14}_\w+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration, each in its own transaction, under an advisory
 * lock: when several instances start at once against one database, one applies and
 * the others wait, then find nothing left to do. Returns the names it applied.
 */
export async function migrate(database: Database, migrationsDir: string): Promise<string[]> {
  const migrations = await readMigrations(migrationsDir);
  return database.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      await session.exec(CREATE_MIGRATIONS_TABLE);
      const applied = await appliedMigrations(session);
      const done: string[] = [];
      for (const migration of migrations) {
        const rows = applied.get(migration.name) ?? [];
        const finished = rows.find((row) => row.finished_at && !row.rolled_back_at);
        if (finished) {
          if (finished.checksum !== migration.checksum) {
            throw new MigrationError(`Migration ${migration.name} was changed after it was applied. Add a new migration instead of editing an applied one.`);
          }
          continue;
        }
        if (rows.some((row) => !row.finished_at && !row.rolled_back_at)) {
          throw new MigrationError(`Migration ${migration.name} failed earlier and is marked as failed in _prisma_migrations; resolve it before starting again.`);
        }
        await applyOne(session, migration);
        done.push(migration.name);
      }
      return done;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  });
}

/** True when every migration on disk is applied: what readiness checks ask. */
export async function isUpToDate(database: Database, migrationsDir: string): Promise<boolean> {
  const migrations = await readMigrations(migrationsDir);
  return database.withSession(async (session) => {
    const applied = await appliedMigrations(session);
    return migrations.every((migration) =>
      (applied.get(migration.name) ?? []).some((row) => row.finished_at && !row.rolled_back_at && row.checksum === migration.checksum),
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

// Private: a failed script is rolled back whole and recorded as rolled back, which is
// how Prisma marks a migration to be tried again once it is fixed.
async function applyOne(session: SqlSession, migration: Migration): Promise<void> {
  const id = randomUUID();
  await session.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, migration.checksum, migration.name],
  );
  try {
    await session.exec(`BEGIN;\n${migration.sql}\nCOMMIT;`);
  } catch (error) {
    await session.exec('ROLLBACK').catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    await session.query('UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1', [id, message]);
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`);
  }
  await session.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}
