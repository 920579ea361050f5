// The benchmark's fixed dataset: 1,000 customers, 500 products, 10,000 orders of 3 items,
// written straight into each subgraph's freshly migrated database with generate_series
// (seconds, not minutes). Ids are md5-derived UUIDs, so every run has the same data.
import { cp } from 'node:fs/promises';
import pg from 'pg';
import { openDatabase, type Database } from '../platform/database.js';
import { migrate } from '../platform/migrator.js';
import { fromRoot } from '../platform/paths.js';
import { hashPassword } from '../subgraphs/users/passwords.js';
import { serviceKeysEnv } from '../tests/support/serviceKeys.js';

export const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'] as const;
export type Subgraph = (typeof SUBGRAPHS)[number];

export const DATASET = { users: 1000, products: 500, orders: 10_000, itemsPerOrder: 3 };
export const CUSTOMER_PASSWORD = 'bench-password';
/** The customers whose tokens the load uses (bench-user-1 … -N). */
export const customerEmail = (n: number) => `bench-user-${n}@example.com`;

/** Secrets and the dev admin every benchmark process is started with (production mode); service keys fresh for each run. */
export const SECRETS = {
  NODE_ENV: 'production',
  JWT_SECRET: 'bench-only-jwt-secret-0123456789abcdefgh',
  ...serviceKeysEnv(),
  ADMIN_EMAIL: 'bench-admin@example.com',
  ADMIN_PASSWORD: 'bench-admin-password',
};
/**
 * Production settings (request logs at info, as an operator would run) but for what would
 * make counts inexact or requests refused.
 */
// The placeOrder scenario has ten customers place thousands of orders left PENDING: the
// per-customer caps would refuse nearly all of them, so the bench turns them off.
export const SERVICE_ENV = {
  ...SECRETS,
  SEED_DEMO_DATA: 'false',
  RESERVATION_SWEEP_MS: '3600000',
  CONFIRM_SWEEP_MS: '3600000',
  PENDING_ORDERS_PER_CUSTOMER: '0',
  PENDING_UNITS_PER_CUSTOMER: '0',
  LOG_LEVEL: 'info',
};

/** The canonical read: a page of orders, each with its customer and the live stock of its products. */
export const canonicalQuery = (first: number) =>
  `{ orders(first: ${first}) { nodes { id status totalCents user { id name email } items { quantity unitPriceCents product { id name stock available } } } } }`;

/** Where each subgraph's data lives for one run: PostgreSQL URLs, or PGlite folders. */
export type Location = { url: string } | { dataDir: string };

/** Fresh PostgreSQL databases bench_<subgraph>, dropped first if a run left them. */
export async function createPostgresDatabases(adminUrl: string): Promise<Record<Subgraph, Location>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const locations = {} as Record<Subgraph, Location>;
  try {
    for (const name of SUBGRAPHS) {
      await client.query(`DROP DATABASE IF EXISTS bench_${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE bench_${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/bench_${name}`;
      locations[name] = { url: url.toString() };
    }
  } finally {
    await client.end();
  }
  return locations;
}

/** PGlite data for a second set of processes (PGlite is one process per folder). */
export async function copyPgliteData(from: Record<Subgraph, Location>, toDir: string): Promise<Record<Subgraph, Location>> {
  const copies = {} as Record<Subgraph, Location>;
  for (const name of SUBGRAPHS) {
    const source = from[name];
    if (!('dataDir' in source)) throw new Error('only PGlite data is copied');
    await cp(source.dataDir, `${toDir}/${name}`, { recursive: true });
    copies[name] = { dataDir: `${toDir}/${name}` };
  }
  return copies;
}

const uuid = (kind: string, n: string) => `md5('${kind}-' || ${n})::uuid`;

export async function seedDataset(locations: Record<Subgraph, Location>): Promise<void> {
  const passwordHash = await hashPassword(CUSTOMER_PASSWORD);
  const { users, products, orders, itemsPerOrder } = DATASET;
  const scripts: Record<Subgraph, string> = {
    users: `
      INSERT INTO users (id, email, name, role, password_hash)
      SELECT ${uuid('user', 'i')}, 'bench-user-' || i || '@example.com', 'Customer ' || i, 'CUSTOMER', '${passwordHash}'
      FROM generate_series(1, ${users}) i;`,
    inventory: `
      INSERT INTO products (id, sku, name, price_cents, stock, reserved, updated_at)
      SELECT ${uuid('product', 'i')}, 'BENCH-' || i, 'Product ' || i, 100 + i, 1000000, 0, now()
      FROM generate_series(1, ${products}) i;`,
    // Orders are COMPLETED (their stock already sold), so reserved = 0 stays true.
    orders: `
      INSERT INTO orders (id, user_id, status, total_cents, confirmed_at, created_at, updated_at)
      SELECT ${uuid('order', 'i')}, ${uuid('user', `(i % ${users} + 1)`)}, 'COMPLETED', 0,
             now() - i * interval '1 minute', now() - i * interval '1 minute', now() - i * interval '1 minute'
      FROM generate_series(1, ${orders}) i;
      INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, position)
      SELECT ${uuid('order', 'i')}, ${uuid('product', `((i * ${itemsPerOrder} + k) % ${products} + 1)`)}, k + 1,
             100 + ((i * ${itemsPerOrder} + k) % ${products} + 1), k
      FROM generate_series(1, ${orders}) i, generate_series(0, ${itemsPerOrder - 1}) k;
      UPDATE orders o SET total_cents = s.total
      FROM (SELECT order_id, sum(quantity * unit_price_cents) AS total FROM order_items GROUP BY order_id) s
      WHERE s.order_id = o.id;`,
    // Starts empty: notifications come from the orders placed during the run.
    notifications: 'SELECT 1;',
  };
  for (const name of SUBGRAPHS) {
    const database: Database = await openDatabase({ ...locations[name], poolSize: 1 });
    try {
      await migrate(database, fromRoot(`prisma/${name}/migrations`));
      await database.withSession((session) => session.exec(scripts[name]));
      await database.withSession((session) => session.exec('ANALYZE'));
    } finally {
      await database.close();
    }
  }
}

/** The environment that points a process at the run's databases. */
export function databaseEnv(locations: Record<Subgraph, Location>, dataDir?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of SUBGRAPHS) {
    const location = locations[name];
    if ('url' in location) env[`${name.toUpperCase()}_DATABASE_URL`] = location.url;
  }
  if (dataDir) env.DATA_DIR = dataDir;
  return env;
}
