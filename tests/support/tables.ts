// Proof that refused requests changed nothing: a row count and checksum of every table.
import type { Database } from '../../platform/database.js';

/** Row count and a checksum of every table of a database, to prove nothing changed. */
export function snapshot(database: Database): Promise<Record<string, string>> {
  return database.withSession(async (session) => {
    const tables = await session.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    const result: Record<string, string> = {};
    for (const { name } of tables) {
      const [row] = await session.query<{ rows: string; sum: string | null }>(`SELECT count(*)::text AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM "${name}" t`);
      result[name] = `${row!.rows} rows, ${row!.sum}`;
    }
    return result;
  });
}

/** Every subgraph's tables at once. */
export const snapshotAll = (services: { database: Database }[]) => Promise.all(services.map((service) => snapshot(service.database)));
