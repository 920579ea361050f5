// Boots subgraphs for tests on their own test databases, with test settings.
import { readInventoryConfig } from '../../subgraphs/inventory/config.js';
import { createInventoryService, type InventoryService } from '../../subgraphs/inventory/server.js';
import { readOrdersConfig } from '../../subgraphs/orders/config.js';
import { createOrdersService, type OrdersService } from '../../subgraphs/orders/server.js';
import { readNotificationsConfig } from '../../subgraphs/notifications/config.js';
import { createNotificationsService, type NotificationsService } from '../../subgraphs/notifications/server.js';
import { readUsersConfig } from '../../subgraphs/users/config.js';
import { createUsersService, type UsersService } from '../../subgraphs/users/server.js';
import type { Database } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { createTestDatabase } from './databases.js';

// Sweepers run hourly unless a test asks for them: their statements would otherwise land
// inside the exact per-request SQL counts the batching tests assert. Rate limits are off
// unless a test asks for them (tests/rateLimits.test.ts): a test's bursts from 127.0.0.1
// are not what they are about. Likewise a sign-in waits for its password hash however long
// a loaded machine takes, rather than being answered busy after PASSWORD_HASH_MAX_WAIT_MS
// (tests/signIn*.test.ts set it).
export const NO_RATE_LIMITS = {
  RATE_LIMIT_PER_IP: '0',
  RATE_LIMIT_PER_USER: '0',
  LOGIN_FAILURES_PER_IP: '0',
  LOGIN_ATTEMPTS_PER_ACCOUNT: '0',
  SIGNUPS_PER_IP: '0',
  SIGN_IN_CONCURRENCY_PER_IP: '0',
  PASSWORD_HASH_MAX_WAIT_MS: '60000',
};

export const TEST_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  RESERVATION_SWEEP_MS: '3600000',
  CONFIRM_SWEEP_MS: '3600000',
  // Order events stay in the outbox unless a test delivers them (tests/notifications*.ts).
  OUTBOX_RELAY_MS: '0',
  NOTIFY_SWEEP_MS: '3600000',
  ...NO_RATE_LIMITS,
};

export interface BootOptions {
  /** Seed the demo data (customers, catalogue, orders) as the embedded default does. */
  demoData?: boolean;
  /** Extra environment for the service's config (timeouts, sweep intervals…). */
  env?: Record<string, string>;
  /** The service's logger (a test that reads what it logs passes its own). */
  log?: Logger;
}

/** A subgraph service whose stop() also drops its test database. */
async function withTestDatabase<S extends { stop(): Promise<void> }>(label: string, boot: (database: Database) => Promise<S>): Promise<S> {
  const testDatabase = await createTestDatabase(label, { migratedFor: label });
  const service = await boot(await testDatabase.open());
  const stop = service.stop.bind(service);
  service.stop = async () => {
    await stop();
    await testDatabase.drop();
  };
  return service;
}

export function bootUsers(options: BootOptions = {}): Promise<UsersService> {
  const config = readUsersConfig({ ...TEST_ENV, SEED_DEMO_DATA: String(options.demoData ?? false), ...options.env });
  return withTestDatabase('users', (database) => createUsersService(config, { database }));
}

export function bootInventory(options: BootOptions = {}): Promise<InventoryService> {
  const config = readInventoryConfig({ ...TEST_ENV, SEED_DEMO_DATA: String(options.demoData ?? false), ...options.env });
  return withTestDatabase('inventory', (database) => createInventoryService(config, { database }));
}

export function bootOrders(options: BootOptions & { inventoryUrl?: string; notificationsUrl?: string } = {}): Promise<OrdersService> {
  const config = readOrdersConfig({
    ...TEST_ENV,
    SEED_DEMO_DATA: String(options.demoData ?? false),
    INVENTORY_URL: options.inventoryUrl ?? 'http://127.0.0.1:9/graphql',
    NOTIFICATIONS_URL: options.notificationsUrl ?? 'http://127.0.0.1:9/graphql',
    ...options.env,
  });
  return withTestDatabase('orders', (database) => createOrdersService(config, { database, log: options.log }));
}

export function bootNotifications(options: BootOptions & { usersUrl?: string } = {}): Promise<NotificationsService> {
  const config = readNotificationsConfig({ ...TEST_ENV, USERS_URL: options.usersUrl ?? 'http://127.0.0.1:9/graphql', ...options.env });
  return withTestDatabase('notifications', (database) => createNotificationsService(config, { database, log: options.log }));
}
