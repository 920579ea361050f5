import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readGatewayConfig } from '../gateway/config.js';
import { ConfigError, DEV_JWT_SECRET, readPlatformConfig } from '../platform/config.js';
import { createErrorFormatter } from '../platform/errors.js';
import { fromRoot } from '../platform/paths.js';
import { readOrdersConfig } from '../subgraphs/orders/config.js';
import { DEV_ADMIN_PASSWORD, readUsersConfig } from '../subgraphs/users/config.js';
import { serviceKeysEnv } from './support/serviceKeys.js';

const SECRETS = { JWT_SECRET: 'a'.repeat(40), ...serviceKeysEnv() };

describe('configuration', () => {
  it('works with no variables at all in development', () => {
    const config = readUsersConfig({});
    expect(config).toMatchObject({ port: 4001, databaseUrl: undefined, seedDemoData: true, adminEmail: 'admin@example.com' });
    expect(config.dataDir).toMatch(/data\/users$/);
  });

  it('in production requires the secrets, naming the missing variable', () => {
    expect(() => readPlatformConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET is required/);
  });

  it('in production refuses the documented development defaults', () => {
    expect(() => readPlatformConfig({ NODE_ENV: 'production', ...SECRETS, JWT_SECRET: DEV_JWT_SECRET })).toThrow(/JWT_SECRET is the documented development default/);
    expect(() => readUsersConfig({ NODE_ENV: 'production', ...SECRETS, ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: DEV_ADMIN_PASSWORD })).toThrow(/ADMIN_PASSWORD/);
  });

  it.each([
    ['a port that is not a number', { USERS_PORT: 'eighty' }, /USERS_PORT must be an integer/],
    ['a database URL of another kind', { USERS_DATABASE_URL: 'mysql://x' }, /USERS_DATABASE_URL must use postgres:/],
    ['a short secret', { JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32/],
    ['a boolean that is not one', { SEED_DEMO_DATA: 'maybe' }, /SEED_DEMO_DATA must be true or false/],
    ['a migration lock wait that is not milliseconds', { MIGRATION_LOCK_TIMEOUT_MS: '1m' }, /MIGRATION_LOCK_TIMEOUT_MS must be an integer/],
  ])('stops on %s with a message naming the variable', (_case, env, message) => {
    expect(() => readUsersConfig(env)).toThrow(ConfigError);
    expect(() => readUsersConfig(env)).toThrow(message);
  });

  it('turns off demo data when a PostgreSQL URL is given, unless asked for', () => {
    expect(readOrdersConfig({ ORDERS_DATABASE_URL: 'postgres://localhost/orders' }).seedDemoData).toBe(false);
    expect(readOrdersConfig({ ORDERS_DATABASE_URL: 'postgres://localhost/orders', SEED_DEMO_DATA: 'true' }).seedDemoData).toBe(true);
  });

  it('compresses at the gateway unless told not to', () => {
    expect(readGatewayConfig({}).compression).toBe(true);
    expect(readGatewayConfig({ COMPRESSION: 'false' }).compression).toBe(false);
    expect(() => readGatewayConfig({ COMPRESSION: 'gzip' })).toThrow(/COMPRESSION must be true or false/);
  });

  it('gives each request one budget at the gateway, still read under its former name', () => {
    expect(readGatewayConfig({}).subgraphCalls.requestTimeoutMs).toBe(10_000);
    expect(readGatewayConfig({ REQUEST_TIMEOUT_MS: '3000' }).subgraphCalls.requestTimeoutMs).toBe(3000);
    expect(readGatewayConfig({ SUBGRAPH_TIMEOUT_MS: '4000' }).subgraphCalls.requestTimeoutMs).toBe(4000);
    expect(() => readGatewayConfig({ SUBGRAPH_TIMEOUT_MS: '4000', REQUEST_TIMEOUT_MS: '3000' })).toThrow(/SUBGRAPH_TIMEOUT_MS is the old name of REQUEST_TIMEOUT_MS/);
    // Orders' own timeout for inventory is gone: its calls take what is left of the budget.
    expect(() => readOrdersConfig({ INVENTORY_TIMEOUT_MS: '5000' })).toThrow(/INVENTORY_TIMEOUT_MS is no longer read/);
  });

  it('lets each subgraph URL be overridden at the gateway', () => {
    expect(readGatewayConfig({ INVENTORY_URL: 'http://inventory:4002/graphql' }).subgraphUrls).toEqual({ inventory: 'http://inventory:4002/graphql' });
  });
});

describe('the README', () => {
  /** Every variable a service reads through platform/config.ts's helpers, from the sources. */
  function variablesRead(): string[] {
    const names = new Set<string>();
    const visit = (folder: string) => {
      for (const entry of readdirSync(fromRoot(folder), { withFileTypes: true })) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory() && entry.name !== 'generated') visit(file);
        else if (entry.name.endsWith('.ts')) {
          for (const match of readFileSync(fromRoot(file), 'utf8').matchAll(/env(?:String|Int|Bool|Url|Optional)\(env, '([A-Z_]+)'/g)) names.add(match[1]!);
        }
      }
    };
    ['platform', 'gateway', 'subgraphs'].forEach(visit);
    return [...names].sort();
  }

  it('documents every environment variable the services read', () => {
    const readme = readFileSync(fromRoot('docs/configuration.md'), 'utf8');
    const names = variablesRead();
    expect(names).toContain('SHUTDOWN_GRACE_MS');
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('error masking', () => {
  const unexpected = { message: 'relation "orders" does not exist at db.internal:5432', extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } };
  const deliberate = { message: 'Only 1 left', extensions: { code: 'OUT_OF_STOCK', available: 1, stacktrace: ['at y'] } };

  it('in production hides unexpected errors whole and strips stacks from deliberate ones', () => {
    const format = createErrorFormatter({ production: true });
    expect(format(unexpected, new Error())).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(format(deliberate, new Error())).toEqual({ message: 'Only 1 left', extensions: { code: 'OUT_OF_STOCK', available: 1 } });
  });

  it('in development shows everything, to help whoever is debugging', () => {
    const format = createErrorFormatter({ production: false });
    expect(format(unexpected, new Error())).toEqual(unexpected);
  });
});
