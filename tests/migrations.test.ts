import { createHash } from 'node:crypto';
import { cp, mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../platform/database.js';
import { migrate, MigrationError, readMigrations } from '../platform/migrator.js';
import { fromRoot } from '../platform/paths.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.js';
import { describeDatabase, describeSchema } from './support/drift.js';

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
