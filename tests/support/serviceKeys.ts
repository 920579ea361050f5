// Service keys for tests and benchmarks that run in production mode (where the development
// keys are refused): made fresh in each process, in both forms, the text a service reads
// from its environment and the key objects a test signs its own tokens with.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export interface TestServiceKey {
  service: string;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** `<kid>:<seed>`, as `<SERVICE>_PRIVATE_KEY` takes it. */
  privateText: string;
  /** `<kid>:<public key>`, as one entry of `<SERVICE>_PUBLIC_KEYS`. */
  publicText: string;
}

export function makeServiceKey(service: string, kid = `${service}-test-${randomBytes(3).toString('hex')}`): TestServiceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { service, kid, privateKey, publicKey, privateText: `${kid}:${jwk.d}`, publicText: `${kid}:${jwk.x}` };
}

/** One key per service that signs (orders and notifications), for this process's life. */
export const TEST_KEYS = { orders: makeServiceKey('orders'), notifications: makeServiceKey('notifications') };

/** The variables that hand `keys` out: each service's private key, and its public key for the services it calls. */
export function serviceKeysEnv(keys: { orders: TestServiceKey; notifications: TestServiceKey } = TEST_KEYS): Record<string, string> {
  return {
    ORDERS_PRIVATE_KEY: keys.orders.privateText,
    ORDERS_PUBLIC_KEYS: keys.orders.publicText,
    NOTIFICATIONS_PRIVATE_KEY: keys.notifications.privateText,
    NOTIFICATIONS_PUBLIC_KEYS: keys.notifications.publicText,
  };
}
