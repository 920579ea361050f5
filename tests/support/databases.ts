// Databases for tests: an in-memory PGlite by default; a fresh PostgreSQL database when
// TEST_POSTGRES_URL is set (CI sets it), created here and dropped after the test file.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../platform/database.js';

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

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  if (!postgresUrl) {
    return { open: () => openDatabase({ dataDir: 'memory://' }), drop: async () => {} };
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
