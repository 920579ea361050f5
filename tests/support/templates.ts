// Migrated PGlite data directories for tests. A new PGlite runs initdb and then the
// subgraph's migrations: most of the seconds a test stack took to start (about 14 s per
// database on a loaded 2-core machine, against under 5 s from a dump). Both are done once
// per migration set, into a dump kept in the temp folder under a hash of the migrations
// (a changed migration makes a new one; later runs reuse it), before any test file runs
// (globalSetup.ts); each test database then starts from its dump. The migrator still runs
// at boot and finds nothing to do, so the path under test is the one production takes.
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDatabase } from '../../platform/database.js';
import { migrate } from '../../platform/migrator.js';
import { fromRoot } from '../../platform/paths.js';

export const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'] as const;

/** The dump of `subgraph`'s migrated database, made now if no run made it before. */
export async function migratedTemplate(subgraph: string): Promise<Blob> {
  let bytes = dumps.get(subgraph);
  if (!bytes) dumps.set(subgraph, (bytes = readFile(await migratedTemplateFile(subgraph))));
  return new BytesBlob(await bytes);
}

/** Each dump read once per test file (a file may open several databases). */
const dumps = new Map<string, Promise<Uint8Array>>();

/**
 * A Blob over bytes already in memory, handed over by arrayBuffer() (which is how PGlite
 * reads a dump) as one copy. Node's own Blob copies the 40 MB of a dump into its storage
 * and reads them back in chunks: measured at 2.5 s a database on a loaded machine, four
 * per stack.
 */
class BytesBlob extends Blob {
  constructor(private readonly dump: Uint8Array) {
    super([]);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return this.dump.slice().buffer as ArrayBuffer;
  }
}

/**
 * The same dump as a tar file: a data directory for a service process started by a test
 * (tests/support/processes.ts unpacks it where the process keeps its embedded database).
 */
export async function migratedTemplateFile(subgraph: string): Promise<string> {
  const file = await templateFile(subgraph);
  if (!(await access(file).then(() => true, () => false))) await makeTemplate(subgraph, file);
  return file;
}

async function templateFile(subgraph: string): Promise<string> {
  const migrationsDir = fromRoot('prisma', subgraph, 'migrations');
  const hash = createHash('sha256');
  for (const entry of (await readdir(migrationsDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(entry.name);
    hash.update(entry.isDirectory() ? await readFile(path.join(migrationsDir, entry.name, 'migration.sql')) : await readFile(path.join(migrationsDir, entry.name)));
  }
  return path.join(tmpdir(), 'supergraph-test-templates', `${subgraph}-${hash.digest('hex').slice(0, 16)}.tar`);
}

async function makeTemplate(subgraph: string, file: string): Promise<void> {
  const db = await PGlite.create();
  try {
    await migrate(pgliteDatabase(db, `${subgraph} template`), fromRoot('prisma', subgraph, 'migrations'));
    const dump = await db.dumpDataDir('none');
    // Written aside and renamed: two test runs making the same template at once each
    // leave a whole file, never half of one.
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
  } finally {
    await db.close();
  }
}
