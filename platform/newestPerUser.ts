// The first page of each of many users' rows, newest first, in one statement: a window
// function numbers each user's rows by (created_at, id) descending and keeps the first
// `take`. User.orders and User.notifications page this way, so that a list of users costs
// one statement for all their pages (platform/loaders.ts's pagesLoader batches them).
import { empty, join, raw, sqltag as sql, type Sql } from '@prisma/client/runtime/client';

/** Where a page starts: strictly after (older than) this row. */
export type Position = [createdAt: string, id: string];

/** What runs the statement: a service's PrismaClient. */
export interface RawQueries {
  $queryRaw<T = unknown>(query: Sql): PromiseLike<T>;
}

export interface NewestPerUser<Row> {
  /** The table, with user_id, created_at and id columns. */
  table: string;
  /** Every field of `Row` and its column: a field added to the model and left out here fails to compile. */
  columns: { readonly [Field in keyof Row]-?: string };
  userIds: string[];
  take: number;
  before: Position | null;
  /** More conditions, each starting with AND (Prisma.sql`AND status = ${status}`). */
  where?: Sql;
}

export async function newestPerUser<Row>(db: RawQueries, { table, columns, userIds, take, before, where = empty }: NewestPerUser<Row>): Promise<Row[]> {
  const select = join(Object.entries<string>(columns).map(([field, column]) => raw(`${identifier(column)} AS ${identifier(field)}`)));
  const positionFilter = before ? sql`AND (created_at, id) < (${new Date(before[0])}::timestamptz, ${before[1]}::uuid)` : empty;
  return db.$queryRaw<Row[]>(sql`
    SELECT ${select} FROM (
      SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS page_position
      FROM ${raw(identifier(table))}
      WHERE user_id = ANY(${userIds}::uuid[]) ${where} ${positionFilter}
    ) numbered
    WHERE page_position <= ${take}
    ORDER BY user_id, created_at DESC, id DESC`);
}

// Private: names come from code, never from a request; quoting keeps camelCase field names as they are.
function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`Expected an SQL identifier, got ${JSON.stringify(name)}.`);
  return `"${name}"`;
}
