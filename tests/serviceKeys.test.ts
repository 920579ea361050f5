// Service keys as operators configure them: development needs none, production needs each
// service's own and refuses the documented development ones, a bad value names its
// variable (and never repeats it), `npm run keys` prints a set production accepts, and a
// rotation accepts both keys while both are listed. What the services do with forged
// tokens is in tests/forgedTokens.test.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { readGatewayConfig } from '../gateway/config.js';
import { createTokens } from '../platform/auth.js';
import { ConfigError, readPlatformConfig } from '../platform/config.js';
import { fromRoot } from '../platform/paths.js';
import { devServiceKey } from '../platform/serviceKeys.js';
import { readInventoryConfig } from '../subgraphs/inventory/config.js';
import { readNotificationsConfig } from '../subgraphs/notifications/config.js';
import { readOrdersConfig } from '../subgraphs/orders/config.js';
import { readUsersConfig } from '../subgraphs/users/config.js';
import { makeServiceKey, serviceKeysEnv } from './support/serviceKeys.js';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'a-long-password' };
const KEYS = serviceKeysEnv();

/** A development key as it would be written in a variable. */
function devKeyText(service: string): { privateText: string; publicText: string } {
  const { kid, privateKey } = devServiceKey(service);
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateText: `${kid}:${jwk.d}`, publicText: `${kid}:${jwk.x}` };
}

const tokensOf = (config: { platform: ReturnType<typeof readPlatformConfig>; identity: Parameters<typeof createTokens>[1] }) => createTokens(config.platform, config.identity);

describe('service keys in configuration', () => {
  it('in development need no variable: each service starts on its documented development key', async () => {
    const orders = readOrdersConfig({});
    const inventory = readInventoryConfig({});
    expect(orders.identity.signing?.kid).toBe('orders-dev');
    expect([...inventory.identity.trusted.keys()]).toEqual(['orders-dev']);
    const token = await tokensOf(orders).signService('inventory');
    expect(await tokensOf(inventory).verify(token)).toEqual({ kind: 'service', service: 'orders' });
  });

  it.each([
    ['orders', () => readOrdersConfig(PRODUCTION), /ORDERS_PRIVATE_KEY is required in production/],
    ['inventory', () => readInventoryConfig(PRODUCTION), /ORDERS_PUBLIC_KEYS is required in production/],
    ['users', () => readUsersConfig(PRODUCTION), /NOTIFICATIONS_PUBLIC_KEYS is required in production/],
    ['notifications', () => readNotificationsConfig(PRODUCTION), /NOTIFICATIONS_PRIVATE_KEY is required in production/],
    ['notifications, given its own key', () => readNotificationsConfig({ ...PRODUCTION, NOTIFICATIONS_PRIVATE_KEY: KEYS.NOTIFICATIONS_PRIVATE_KEY! }), /ORDERS_PUBLIC_KEYS is required in production/],
  ])('in production, %s refuses to start without its keys, naming the variable', (_service, read, message) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });

  it('in production every service starts with the keys of its part, and the gateway with none', () => {
    for (const read of [readOrdersConfig, readInventoryConfig, readUsersConfig, readNotificationsConfig]) expect(() => read({ ...PRODUCTION, ...KEYS })).not.toThrow();
    expect(readGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION.JWT_SECRET }).platform.production).toBe(true);
  });

  it('in production refuses the documented development keys, private or public', () => {
    expect(() => readOrdersConfig({ ...PRODUCTION, ...KEYS, ORDERS_PRIVATE_KEY: devKeyText('orders').privateText })).toThrow(/ORDERS_PRIVATE_KEY is the documented development key/);
    const withDev = `${KEYS.ORDERS_PUBLIC_KEYS},${devKeyText('orders').publicText}`;
    expect(() => readInventoryConfig({ ...PRODUCTION, ...KEYS, ORDERS_PUBLIC_KEYS: withDev })).toThrow(/ORDERS_PUBLIC_KEYS includes the documented development key/);
  });

  it.each([
    ['no key id', { ORDERS_PRIVATE_KEY: KEYS.ORDERS_PRIVATE_KEY!.split(':')[1]! }, /ORDERS_PRIVATE_KEY must be <key id>:<32 bytes in base64url>/],
    ['a PEM', { ORDERS_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIA' }, /ORDERS_PRIVATE_KEY must be/],
    ['a short key', { ORDERS_PUBLIC_KEYS: 'k1:c2hvcnQ' }, /ORDERS_PUBLIC_KEYS must be/],
    ['a list of no key', { ORDERS_PUBLIC_KEYS: ' , ' }, /ORDERS_PUBLIC_KEYS lists no key/],
    ['a key id listed twice', { ORDERS_PUBLIC_KEYS: `${KEYS.ORDERS_PUBLIC_KEYS},${KEYS.ORDERS_PUBLIC_KEYS}` }, /ORDERS_PUBLIC_KEYS repeats the key id/],
  ])('stops on %s, naming the variable and never repeating its value', (_case, env: Record<string, string>, message) => {
    // Orders reads its private key, notifications orders' public ones.
    const read = 'ORDERS_PRIVATE_KEY' in env ? readOrdersConfig : readNotificationsConfig;
    let error: unknown;
    try {
      read({ ...PRODUCTION, ...KEYS, ...env });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(Object.values(env)[0]!.split(':').pop()!.slice(0, 12));
  });

  it('refuses INTERNAL_SECRET in every process, saying what replaced it', () => {
    const stale = { INTERNAL_SECRET: 'an-old-shared-secret-0123456789abcdef' };
    for (const read of [readGatewayConfig, readOrdersConfig, readInventoryConfig, readUsersConfig, readNotificationsConfig]) {
      expect(() => read(stale)).toThrow(/INTERNAL_SECRET is no longer used: each calling service signs with its own Ed25519 key.*npm run keys/);
    }
  });

  it('`npm run keys` prints a fresh set that production accepts, and an orders token from it verifies at inventory', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [fromRoot('scripts/keys.mjs')]);
    const printed = Object.fromEntries(stdout.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    expect(Object.keys(printed).sort()).toEqual(['NOTIFICATIONS_PRIVATE_KEY', 'NOTIFICATIONS_PUBLIC_KEYS', 'ORDERS_PRIVATE_KEY', 'ORDERS_PUBLIC_KEYS']);
    const env = { ...PRODUCTION, ...printed };
    const token = await tokensOf(readOrdersConfig(env)).signService('inventory');
    expect(await tokensOf(readInventoryConfig(env)).verify(token)).toEqual({ kind: 'service', service: 'orders' });
    // And a second run makes other keys.
    const again = await promisify(execFile)(process.execPath, [fromRoot('scripts/keys.mjs'), 'orders']);
    expect(again.stdout).toMatch(/^ORDERS_PRIVATE_KEY=orders-\d{4}-\d{2}-\d{2}-[0-9a-f]{4}:/m);
    expect(again.stdout).not.toContain(printed.ORDERS_PRIVATE_KEY!);
  });
});

describe('rotating a service key', () => {
  const oldKey = makeServiceKey('orders', 'orders-2025');
  const newKey = makeServiceKey('orders', 'orders-2026');
  const orders = (key: typeof oldKey) => tokensOf(readOrdersConfig({ ...PRODUCTION, ...KEYS, ORDERS_PRIVATE_KEY: key.privateText }));
  const inventory = (publicKeys: string) => tokensOf(readInventoryConfig({ ...PRODUCTION, ...KEYS, ORDERS_PUBLIC_KEYS: publicKeys }));

  it('accepts tokens of the old key and of the new one while both are listed, and only the new once the old is removed', async () => {
    const [byOld, byNew] = await Promise.all([orders(oldKey).signService('inventory'), orders(newKey).signService('inventory')]);
    const during = inventory(`${oldKey.publicText}, ${newKey.publicText}`);
    expect(await during.verify(byOld)).toEqual({ kind: 'service', service: 'orders' });
    expect(await during.verify(byNew)).toEqual({ kind: 'service', service: 'orders' });
    const after = inventory(newKey.publicText);
    await expect(after.verify(byOld)).rejects.toMatchObject({ reason: 'invalid' });
    expect(await after.verify(byNew)).toEqual({ kind: 'service', service: 'orders' });
  });

  it('a service that calls no one has no key to make service tokens with', async () => {
    await expect(tokensOf(readInventoryConfig({})).signService('orders')).rejects.toThrow(/inventory has no service key/);
  });
});
