// Drives a subgraph's Apollo server in-process with executeOperation, as a given caller.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../platform/auth.js';
import type { Database } from '../../platform/database.js';
import type { BaseContext, SubgraphServer } from '../../platform/subgraph.js';

export interface Result<T = any> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

export const customer = (userId: string = randomUUID()): Caller => ({ kind: 'user', userId, role: 'CUSTOMER' });
export const admin = (userId: string = randomUUID()): Caller => ({ kind: 'user', userId, role: 'ADMIN' });
export const service = (name: string): Caller => ({ kind: 'service', service: name });

export async function execute<T = any, C extends BaseContext = BaseContext>(
  server: SubgraphServer<C>,
  query: string,
  variables: Record<string, unknown> = {},
  caller: Caller | null = null,
): Promise<Result<T>> {
  const response = await server.apollo.executeOperation<T>({ query, variables }, { contextValue: server.contextFor(caller) });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as Result<T>;
}

/** The codes of a result's errors, for exact assertions. */
export const codes = (result: Result) => (result.errors ?? []).map((error) => error.extensions?.code);

/** Empties every table but the migrations' record, between tests. */
export async function truncateAll(database: Database): Promise<void> {
  await database.withSession(async (session) => {
    const tables = await session.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    );
    await session.exec(`TRUNCATE ${tables.map((t) => `"${t.name}"`).join(', ')} CASCADE`);
  });
}
