// Opens a subgraph's database: PostgreSQL when a URL is given, otherwise PGlite
// (PostgreSQL compiled to WASM, in-process) stored in a folder, or in memory for tests.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/** One connection's worth of raw SQL, for the migrator and for tests. */
export interface SqlSession {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  /** Where the data lives, safe to log (no password). */
  location: string;
  /** The Prisma driver adapter factory for this database. */
  adapter: PrismaPGlite | PrismaPg;
  /** Runs `work` on one connection held for its whole duration. */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… ; when absent the embedded PGlite is used. */
  url?: string;
  /** PGlite's folder; absent or 'memory://' keeps the database in memory. */
  dataDir?: string;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
  /** PostgreSQL's application_name for these connections: how pg_stat_activity (and a migration lock's waiter) names us. */
  applicationName?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10, options.applicationName) : openPglite(options.dataDir);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const inMemory = !dataDir || dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  return pgliteDatabase(await PGlite.create(inMemory ? undefined : dataDir), inMemory ? 'pglite (in memory)' : `pglite ${dataDir}`);
}

/** A Database over a PGlite the caller opened (tests start theirs from a prepared data directory). */
export function pgliteDatabase(db: PGlite, location: string): Database {
  const session: SqlSession = {
    query: async (sql, params) => (await db.query(sql, params)).rows as never[],
    exec: async (script) => {
      await db.exec(script);
    },
  };
  return {
    kind: 'pglite',
    location,
    adapter: new PrismaPGlite(db),
    withSession: (work) => work(session),
    close: () => db.close(),
  };
}

async function openPostgres(url: string, poolSize: number, applicationName: string | undefined): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: applicationName });
  // An idle client that loses its server must not crash the process; the next
  // query gets a fresh connection and its own error.
  pool.on('error', () => {});
  const parsed = new URL(url);
  return {
    kind: 'postgres',
    location: `postgres ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`,
    adapter: new PrismaPg(pool),
    async withSession(work) {
      const client = await pool.connect();
      try {
        return await work({
          query: async (sql, params) => (await client.query(sql, params)).rows,
          exec: async (script) => {
            await client.query(script);
          },
        });
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
