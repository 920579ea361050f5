// The migrations folder in Prisma's layout, read and checksummed the way Prisma's schema
// engine does it (schema-engine's checksum.rs), so that the rows our migrator writes are
// the rows `prisma migrate status` and `prisma migrate deploy` expect to find.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface Migration {
  name: string;
  sql: string;
  /** What Prisma records: the SHA-256 of migration.sql as it is on disk, in hex. */
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** `<YYYYMMDDHHMMSS>_<name>`: what `prisma migrate dev` names a migration's folder. */
const MIGRATION_FOLDER = /^\d{14}_\w+$/;
const SCRIPT = 'migration.sql';

/**
 * Every migration in `migrationsDir`, oldest first. A folder that is not a migration
 * (misnamed, or without migration.sql) is an error naming it: Prisma would try to apply
 * it, and skipping it in silence would leave a schema change unapplied with nobody told.
 * Files beside the folders (migration_lock.toml) are Prisma's and are left alone.
 */
export async function readMigrations(migrationsDir: string): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  // Sorted as Prisma's listMigrations sorts them.
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort((a, b) => a.localeCompare(b));
  for (const name of folders) {
    if (!MIGRATION_FOLDER.test(name)) {
      throw new MigrationError(
        `${path.join(migrationsDir, name)} is not a migration folder: name it <14-digit timestamp>_<name> (e.g. 20261201120000_add_nickname) with a migration.sql inside, or move it out of ${migrationsDir}.`,
      );
    }
  }
  return Promise.all(
    folders.map(async (name) => {
      const file = path.join(migrationsDir, name, SCRIPT);
      const sql = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new MigrationError(`${path.join(migrationsDir, name)} has no ${SCRIPT}: every migration folder needs one.`);
        throw error;
      });
      return { name, sql, checksum: checksum(sql) };
    }),
  );
}

export function checksum(script: string): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * Whether `script` is the migration that was recorded with `recorded`, as Prisma decides
 * it: the same text with its line endings as they are, turned to LF, or turned to CRLF
 * (git may check a file out either way); and a checksum written by an old Prisma that did
 * not zero-pad its hex digits (prisma-engines#1887) still counts.
 */
export function scriptMatchesChecksum(script: string, recorded: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  const unpadded = recorded.length > 0 && recorded.length !== 64;
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const rendered = unpadded ? [...digest].map((byte) => byte.toString(16)).join('') : digest.toString('hex');
    return rendered === recorded;
  });
}
