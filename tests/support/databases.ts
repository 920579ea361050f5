// Databases for tests: an in-memory PGlite by default; a fresh PostgreSQL database when
// TEST_POSTGRES_URL is set (CI sets it), created here and dropped after the test file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase, pgliteDatabase, type Database } from '../../platform/database.js';
import { migrate } from '../../platform/migrator.js';
import { fromRoot } from '../../platform/paths.js';

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

// Private. A new PGlite runs initdb and then the subgraph's migrations: most of the
// seconds a test stack takes to start. Both are done once, into a data-directory dump kept
// in the temp folder under a hash of the migrations (so a changed migration makes a new
// one, and later runs reuse it); each test database then starts from that dump. The
// migrator still runs at boot and finds nothing to do, so the path under test is the same.
async function migratedTemplate(subgraph: string): Promise<Blob> {
  const migrationsDir = fromRoot('prisma', subgraph, 'migrations');
  const hash = createHash('sha256');
  for (const name of (await readdir(migrationsDir)).sort()) {
    hash.update(name);
    if (!name.endsWith('.toml')) hash.update(await readFile(path.join(migrationsDir, name, 'migration.sql')));
  }
  const file = path.join(tmpdir(), 'supergraph-test-templates', `${subgraph}-${hash.digest('hex').slice(0, 16)}.tar`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return new Blob([cached]);

  const db = await PGlite.create();
  try {
    await migrate(pgliteDatabase(db, 'template'), migrationsDir);
    const dump = await db.dumpDataDir('none');
    // Written aside and renamed: two test workers making the same template at once each
    // leave a whole file, never half of one.
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
    return dump;
  } finally {
    await db.close();
  }
}
