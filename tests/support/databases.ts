// Databases for tests: an in-memory PGlite by default; a fresh PostgreSQL database when
// TEST_POSTGRES_URL is set (CI sets it), created here and dropped after the test file.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase, pgliteDatabase, type Database } from '../../platform/database.js';
import { migratedTemplate } from './templates.js';

export const postgresUrl = process.env.TEST_POSTGRES_URL;
export const onPostgres = Boolean(postgresUrl);

export interface TestDatabase {
  /** postgres://… on PostgreSQL; undefined on PGlite. */
  url?: string;
  open(): Promise<Database>;
  /** Drops the PostgreSQL database (PGlite needs nothing: it goes with its handle). */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabaseOptions {
  /**
   * A subgraph whose migrations the database starts with (PGlite only; on PostgreSQL the
   * service migrates its fresh database itself, which takes a few milliseconds there).
   */
  migratedFor?: string;
}

export async function createTestDatabase(label: string, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  if (!postgresUrl) {
    const template = options.migratedFor ? await migratedTemplate(options.migratedFor) : undefined;
    return {
      open: async () => (template ? pgliteDatabase(await PGlite.create({ loadDataDir: template }), `pglite (in memory, migrated for ${options.migratedFor})`) : openDatabase({ dataDir: 'memory://' })),
      drop: async () => {},
    };
  }
  const name = `sg_test_${label}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    open: () => openDatabase({ url: url.toString(), poolSize: 10 }),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}
