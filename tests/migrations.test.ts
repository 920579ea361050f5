import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, writeFile, mkdir, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database } from '../platform/database.js';
import { scriptMatchesChecksum } from '../platform/migrationFiles.js';
import { isUpToDate, migrate, MigrationError, readMigrations } from '../platform/migrator.js';
import { fromRoot } from '../platform/paths.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.js';
import { describeDatabase, describeSchema } from './support/drift.js';
import { waitFor } from './support/wait.js';

describe.each(['users', 'inventory', 'orders', 'notifications'])('the %s database', (subgraph) => {
  const migrationsDir = fromRoot(`prisma/${subgraph}/migrations`);
  let testDatabase: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDatabase = await createTestDatabase(`migrate_${subgraph}`);
    database = await testDatabase.open();
  });
  afterAll(async () => {
    await database.close();
    await testDatabase.drop();
  });

  it('applies every migration on a new database and records it as Prisma does', async () => {
    const migrations = await readMigrations(migrationsDir);
    expect(await migrate(database, migrationsDir)).toEqual(migrations.map((m) => m.name));
    const rows = await database.withSession((session) =>
      session.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      ),
    );
    expect(rows).toEqual(
      migrations.map((m) => ({
        migration_name: m.name,
        checksum: createHash('sha256').update(m.sql).digest('hex'),
        finished_at: expect.any(Date),
        applied_steps_count: 1,
      })),
    );
  });

  it('applies nothing the second time', async () => {
    expect(await migrate(database, migrationsDir)).toEqual([]);
  });

  it('leaves no drift between schema.prisma and the migrated database', async () => {
    const actual = await database.withSession(describeDatabase);
    const expected = describeSchema(fromRoot(`prisma/${subgraph}/schema.prisma`));
    expect(actual).toEqual(expected);
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const [first] = await readMigrations(migrationsDir);
    await database.withSession((session) =>
      session.query(`UPDATE "_prisma_migrations" SET checksum = 'edited' WHERE migration_name = $1`, [first!.name]),
    );
    await expect(migrate(database, migrationsDir)).rejects.toThrow(/was changed after it was applied/);
    await database.withSession((session) =>
      session.query(`UPDATE "_prisma_migrations" SET checksum = $2 WHERE migration_name = $1`, [first!.name, first!.checksum]),
    );
  });
});

describe('a migration that fails', () => {
  it('is rolled back whole, recorded as rolled back, and applied once fixed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await cp(fromRoot('prisma/users/migrations'), dir, { recursive: true });
    const broken = path.join(dir, '20300101000000_add_nickname');
    await mkdir(broken);
    await writeFile(path.join(broken, 'migration.sql'), 'ALTER TABLE "users" ADD COLUMN "nickname" TEXT;\nALTER TABLE "nope" ADD COLUMN "x" TEXT;\n');
    const testDatabase = await createTestDatabase('migrate_fail');
    const database = await testDatabase.open();
    try {
      await expect(migrate(database, dir)).rejects.toBeInstanceOf(MigrationError);
      const columns = await database.withSession((s) =>
        s.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'`),
      );
      expect(columns).toHaveLength(0);
      await writeFile(path.join(broken, 'migration.sql'), 'ALTER TABLE "users" ADD COLUMN "nickname" TEXT;\n');
      expect(await migrate(database, dir)).toEqual(['20300101000000_add_nickname']);
    } finally {
      await database.close();
      await testDatabase.drop();
    }
  });
});

(onPostgres ? describe : describe.skip)('two instances starting at once against one PostgreSQL database', () => {
  it('apply each migration exactly once between them', async () => {
    const migrationsDir = fromRoot('prisma/orders/migrations');
    const testDatabase = await createTestDatabase('migrate_race');
    const [a, b] = await Promise.all([testDatabase.open(), testDatabase.open()]);
    try {
      const [appliedByA, appliedByB] = await Promise.all([migrate(a, migrationsDir), migrate(b, migrationsDir)]);
      const all = (await readMigrations(migrationsDir)).map((m) => m.name);
      expect([...appliedByA, ...appliedByB].sort()).toEqual(all);
      const rows = await a.withSession((s) => s.query('SELECT migration_name FROM "_prisma_migrations"'));
      expect(rows).toHaveLength(all.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await testDatabase.drop();
    }
  });
});

/** The users subgraph's migrations as committed, by name, oldest first (what a copy holds). */
async function usersMigrationNames(): Promise<string[]> {
  return (await readMigrations(fromRoot('prisma/users/migrations'))).map((m) => m.name);
}

/** A copy of the users migrations, plus `extra` folders (name → migration.sql, or null for none). */
async function migrationsDir(extra: Record<string, string | null> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  await cp(fromRoot('prisma/users/migrations'), dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    if (sql !== null) await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

describe('the migrations folder', () => {
  it.each([
    ['a folder not named <timestamp>_<name>', 'add_nickname', 'SELECT 1;\n', /add_nickname is not a migration folder: name it <14-digit timestamp>_<name>/],
    ['a migration folder without migration.sql', '20300101000000_add_nickname', null, /20300101000000_add_nickname has no migration.sql/],
  ])('%s is an error naming it, not skipped', async (_case, name, sql, message) => {
    const dir = await migrationsDir({ [name]: sql });
    await expect(readMigrations(dir)).rejects.toThrow(MigrationError);
    await expect(readMigrations(dir)).rejects.toThrow(message);
  });

  it('keeps Prisma\'s migration_lock.toml and other files beside the folders', async () => {
    const dir = await migrationsDir();
    await writeFile(path.join(dir, 'README.md'), 'notes\n');
    const names = await usersMigrationNames();
    expect(names[0]).toBe('20261122000000_init');
    expect((await readdir(dir)).sort()).toEqual([...names, 'README.md', 'migration_lock.toml']);
    expect((await readMigrations(dir)).map((m) => m.name)).toEqual(names);
  });
});

describe('checksums, as Prisma compares them', () => {
  it('match whatever the line endings, as Prisma\'s schema engine does, and nothing else', () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    // The cases of prisma-engines' script_matches_checksum_is_line_ending_agnostic.
    for (const group of [['ab\ncd\nef\ngh\rab', 'ab\r\ncd\r\nef\r\ngh\rab'], ['ab\ncd\nef\ngh\rab\n', 'ab\r\ncd\r\nef\r\ngh\rab\r\n']]) {
      for (const script of group) for (const other of group) expect(scriptMatchesChecksum(script, sha(other))).toBe(true);
    }
    expect(scriptMatchesChecksum('abc', sha('abcd'))).toBe(false);
    expect(scriptMatchesChecksum('abc\n', sha('abc'))).toBe(false);
    // An old Prisma wrote hex digits without zero padding (prisma-engines#1887).
    const unpadded = [...createHash('sha256').update('hello').digest()].map((byte) => byte.toString(16)).join('');
    expect(unpadded).not.toHaveLength(64);
    expect(scriptMatchesChecksum('hello', unpadded)).toBe(true);
  });

  it('a migration applied from LF files is the same migration checked out with CRLF: nothing applied again, nothing refused', async () => {
    const lf = await migrationsDir();
    const crlf = await migrationsDir();
    for (const { name, sql } of await readMigrations(crlf)) {
      await writeFile(path.join(crlf, name, 'migration.sql'), sql.replaceAll('\n', '\r\n'));
    }
    const testDatabase = await createTestDatabase('migrate_crlf');
    const database = await testDatabase.open();
    try {
      expect(await migrate(database, lf)).toEqual(await usersMigrationNames());
      expect(await migrate(database, crlf)).toEqual([]);
      expect(await isUpToDate(database, crlf)).toBe(true);
      // The record is the checksum of the file as it was read, as `prisma migrate deploy` writes it.
      const [row] = await database.withSession((s) => s.query<{ checksum: string }>(`SELECT checksum FROM "_prisma_migrations" WHERE migration_name = '20261122000000_init'`));
      expect(row!.checksum).toBe(createHash('sha256').update(await readFile(path.join(lf, '20261122000000_init', 'migration.sql'))).digest('hex'));
    } finally {
      await database.close();
      await testDatabase.drop();
    }
  });
});

describe('a record left unfinished by prisma migrate deploy, or by the migrator before it used one transaction', () => {
  it('stops start-up with the statements that settle it, and the one for "not applied" lets the next start apply it', async () => {
    const dir = await migrationsDir({ '20300101000000_add_nickname': 'ALTER TABLE "users" ADD COLUMN "nickname" TEXT;\n' });
    const testDatabase = await createTestDatabase('migrate_unfinished');
    const database = await testDatabase.open();
    try {
      await migrate(database, fromRoot('prisma/users/migrations'));
      await database.withSession((s) =>
        s.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('00000000-0000-4000-8000-000000000001', 'x', '20300101000000_add_nickname', now(), 0)`),
      );
      const refusal = await migrate(database, dir).catch((error: Error) => error);
      expect(refusal).toBeInstanceOf(MigrationError);
      const message = (refusal as Error).message;
      expect(message).toMatch(/^Migration 20300101000000_add_nickname is recorded as started but never finished/);
      const [notApplied] = message.match(/UPDATE "_prisma_migrations" SET rolled_back_at = now\(\) WHERE [^(]+/)!;
      expect(message).toContain(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE migration_name = '20300101000000_add_nickname'`);
      await database.withSession((s) => s.query(notApplied.trim()));
      expect(await migrate(database, dir)).toEqual(['20300101000000_add_nickname']);
    } finally {
      await database.close();
      await testDatabase.drop();
    }
  });
});

const SLOW = '20300101000000_slow';
/** Creates a table, then sleeps for the session's migration_test.sleep_seconds (none unless set). */
const SLOW_SQL = `CREATE TABLE "slow_marker" ("id" INTEGER);\nSELECT pg_sleep(coalesce(current_setting('migration_test.sleep_seconds', true), '0')::float8);\n`;

interface MigratorProcess {
  child: ChildProcess;
  output(): string;
  waitForOutput(text: string): Promise<void>;
  exited: Promise<{ code: number | null; output: string }>;
}

/** tests/support/migrateProcess.ts as a real process (see there for `env`). */
function migratorProcess(dir: string, env: Record<string, string>): MigratorProcess {
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  const child = spawn(process.execPath, [fromRoot('dist/tests/support/migrateProcess.js'), dir], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const printed: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => printed.push(chunk.toString('utf8')));
  const output = () => printed.join('');
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.once('close', (code) => resolve({ code, output: output() })));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output,
    exited,
    // A child starting PGlite on disk and applying every users migration first: on a loaded
    // two-core machine (load 30 seen here) that took over a minute.
    async waitForOutput(text) {
      await waitFor(`the migrator to print ${JSON.stringify(text)}`, async () => output().includes(text) || done, { timeoutMs: 120_000, everyMs: 50 });
      if (!output().includes(text)) throw new Error(`the migrator exited without printing ${JSON.stringify(text)}:\n${output()}`);
    },
  };
}

/** The server process running the slow migration's pg_sleep, once it runs. */
async function sleepingBackend(database: Database, applicationName: string): Promise<number> {
  let pid: number | undefined;
  await waitFor(`${applicationName} to be inside its slow migration`, async () => {
    const [row] = await database.withSession((s) =>
      s.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep%'`, [applicationName]),
    );
    pid = row?.pid;
    return pid !== undefined;
  });
  return pid!;
}

describe('a migration killed half-way with SIGKILL', () => {
  const killed: ChildProcess[] = [];
  afterAll(() => killed.forEach((child) => child.kill('SIGKILL')));

  it(`leaves nothing to repair: the next start applies it once and records it once (${onPostgres ? 'PostgreSQL' : 'PGlite on disk'})`, async () => {
    const dir = await migrationsDir({ [SLOW]: SLOW_SQL });
    const dataDir = await mkdtemp(path.join(tmpdir(), 'migrations-pglite-'));
    const testDatabase = onPostgres ? await createTestDatabase('migrate_kill') : undefined;
    const target: Record<string, string> = testDatabase ? { DATABASE_URL: testDatabase.url! } : { DATA_DIR: dataDir };
    const observer = testDatabase ? await testDatabase.open() : undefined;
    try {
      const first = migratorProcess(dir, { ...target, SLEEP_SECONDS: '600', APPLICATION_NAME: 'migration-test-killed' });
      killed.push(first.child);
      // It prints this with the migration's record written, inside the migration's transaction.
      await first.waitForOutput(`applying ${SLOW}`);
      let backend: number | undefined;
      if (observer) backend = await sleepingBackend(observer, 'migration-test-killed');
      first.child.kill('SIGKILL');
      expect((await first.exited).code).toBeNull();
      // PostgreSQL notices the vanished client within a second and rolls its transaction back.
      if (observer) {
        await waitFor('the killed migrator\'s server process to end', async () =>
          (await observer.withSession((s) => s.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend]))).length === 0,
        );
      }

      const second = migratorProcess(dir, target);
      const { code, output } = await second.exited;
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`applied ${JSON.stringify([SLOW])}`) });

      const database = observer ?? (await openDatabase({ dataDir }));
      try {
        const rows = await database.withSession((s) =>
          s.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
            'SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM "_prisma_migrations" ORDER BY migration_name',
          ),
        );
        expect(rows).toEqual([...(await usersMigrationNames()), SLOW].map((migration_name) => ({ migration_name, finished: true, rolled_back: false })));
        expect(await database.withSession((s) => s.query(`SELECT to_regclass('slow_marker')::text AS t`))).toEqual([{ t: 'slow_marker' }]);
      } finally {
        if (!observer) await database.close();
      }
    } finally {
      await observer?.close();
      await testDatabase?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  (onPostgres ? it : it.skip)('a second process waiting for the lock past its bound fails, naming the holder', async () => {
    const dir = await migrationsDir({ [SLOW]: SLOW_SQL });
    const testDatabase = await createTestDatabase('migrate_lock');
    const observer = await testDatabase.open();
    try {
      const holder = migratorProcess(dir, { DATABASE_URL: testDatabase.url!, SLEEP_SECONDS: '600', APPLICATION_NAME: 'migration-test-holder' });
      killed.push(holder.child);
      const backend = await sleepingBackend(observer, 'migration-test-holder');

      const waiter = migratorProcess(dir, { DATABASE_URL: testDatabase.url!, LOCK_TIMEOUT_MS: '1000', APPLICATION_NAME: 'migration-test-waiter' });
      killed.push(waiter.child);
      const { code, output } = await waiter.exited;
      expect(code).toBe(1);
      expect(output).toMatch(
        new RegExp(
          `^Waited 1 s \\(MIGRATION_LOCK_TIMEOUT_MS\\) for the migration lock .*, held by PostgreSQL backend pid ${backend} ` +
            `\\(application "migration-test-holder", client 127\\.0\\.0\\.1:\\d+, connected since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, active since \\d{4}-`,
        ),
      );
      // The waiter gave up without touching anything: the holder's migration is still under way.
      expect(holder.child.exitCode).toBeNull();
      holder.child.kill('SIGKILL');
      await holder.exited;
    } finally {
      await observer.close();
      await testDatabase.drop();
    }
  }, 120_000);
});
