// The lock that lets one process at a time migrate a database: the advisory lock
// `prisma migrate` itself takes, so the two exclude each other too. The wait for it is
// bounded, and a process that gives up says who holds it, so an operator can find a stuck
// holder instead of watching a service that never becomes ready.
import type { SqlSession } from './database.js';
import { MigrationError } from './migrationFiles.js';

/** The advisory lock key of Prisma's schema engine. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** SQLSTATE lock_not_available: `lock_timeout` passed. */
const LOCK_NOT_AVAILABLE = '55P03';

interface Holder {
  pid: number;
  application_name: string | null;
  client: string | null;
  backend_start: Date | null;
  state: string | null;
  state_change: Date | null;
}

/**
 * Runs `work` holding the migration lock. `timeoutMs` bounds the wait (0 waits for as
 * long as it takes); PostgreSQL's own `lock_timeout` does the waiting, so nothing polls.
 */
export async function withMigrationLock<T>(session: SqlSession, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  // A migrator killed in the middle of a long statement would leave its server process
  // running the rest of the script, still holding this lock, before it finds the client
  // gone and rolls back. Checking the connection every second ends that within a second.
  // (PostgreSQL 14 and later; an older server refuses the setting and keeps the old way.)
  await session.query(`SELECT set_config('client_connection_check_interval', '1000', false)`).catch(() => {});
  try {
    await session.query(`SELECT set_config('lock_timeout', $1, false)`, [`${timeoutMs}ms`]);
    try {
      await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    } catch (error) {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) throw new MigrationError(await describeWait(session, timeoutMs));
      throw error;
    } finally {
      await session.query('RESET lock_timeout').catch(() => {});
    }
    try {
      return await work();
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  } finally {
    // The session goes back to a pool: later statements must not inherit these settings.
    await session.query('RESET client_connection_check_interval').catch(() => {});
  }
}

// Private: who holds the lock, from pg_locks and pg_stat_activity. A bigint advisory key
// shows up as classid (high 32 bits) and objid (low 32 bits) with objsubid 1.
async function describeWait(session: SqlSession, timeoutMs: number): Promise<string> {
  const [holder] = await session.query<Holder>(
    `SELECT a.pid, a.application_name, host(a.client_addr) || ':' || a.client_port AS client,
            a.backend_start, a.state, a.state_change
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = $1 AND l.objid::bigint = $2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [Math.floor(PRISMA_MIGRATE_LOCK_KEY / 2 ** 32), PRISMA_MIGRATE_LOCK_KEY % 2 ** 32],
  );
  const waited = `Waited ${timeoutMs / 1000} s (MIGRATION_LOCK_TIMEOUT_MS) for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY}))`;
  if (!holder) return `${waited}; its holder has released it since. Start again.`;
  const details = [
    `application "${holder.application_name || '(none)'}"`,
    `client ${holder.client ?? 'on a local socket'}`,
    holder.backend_start ? `connected since ${holder.backend_start.toISOString()}` : undefined,
    holder.state ? `${holder.state} since ${holder.state_change?.toISOString() ?? '?'}` : undefined,
  ].filter(Boolean);
  return (
    `${waited}, held by PostgreSQL backend pid ${holder.pid} (${details.join(', ')}). ` +
    `Another instance may be applying a long migration: wait for it, or stop the holder ` +
    `(SELECT pg_terminate_backend(${holder.pid}) rolls back whatever it had not committed) and start again.`
  );
}
