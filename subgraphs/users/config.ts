// The users subgraph's settings, read once at start-up.
import { readSubgraphSettings, type SubgraphSettings } from '../../platform/bootstrap.js';
import { ConfigError, envBool, envInt, envString } from '../../platform/config.js';
import type { KdfSettings } from './kdfQueue.js';

export const DEV_ADMIN_EMAIL = 'admin@example.com';
export const DEV_ADMIN_PASSWORD = 'admin-password';

export interface UsersConfig extends SubgraphSettings {
  adminEmail: string;
  adminPassword: string;
  /**
   * Whether an existing account with ADMIN_EMAIL is made admin. Off by default: emails are
   * not verified, so that account may belong to whoever signed up with the address first.
   */
  adminPromoteExisting: boolean;
  /** Sign-in attempts per account per LOGIN_WINDOW_SECONDS before it is throttled; 0 turns it off. */
  loginAttemptsPerAccount: number;
  /** How many password hashes run at once and how many may wait (kdfQueue.ts). */
  passwordHashing: KdfSettings;
}

/** The window in which failed sign-ins for one account are counted. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;

export function readUsersConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  // The notifications service reads email addresses (User entities) for its email channel.
  const settings = readSubgraphSettings(env, 'users', 4001, { acceptsCallsFrom: ['notifications'] });
  const production = settings.platform.production;
  const adminEmail = envString(env, 'ADMIN_EMAIL', production ? undefined : DEV_ADMIN_EMAIL);
  const adminPassword = envString(env, 'ADMIN_PASSWORD', production ? undefined : DEV_ADMIN_PASSWORD);
  if (production && adminPassword === DEV_ADMIN_PASSWORD) {
    throw new ConfigError('ADMIN_PASSWORD', 'is the documented development default; set a password of your own in production.');
  }
  if (adminPassword.length < 8) throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters long.');
  return {
    ...settings,
    adminEmail: adminEmail.toLowerCase(),
    adminPassword,
    adminPromoteExisting: envBool(env, 'ADMIN_PROMOTE_EXISTING', false),
    loginAttemptsPerAccount: envInt(env, 'LOGIN_ATTEMPTS_PER_ACCOUNT', 10, { max: 10_000 }),
    passwordHashing: {
      // libuv runs four threads for all its work: two of them at most for password hashes.
      concurrency: envInt(env, 'PASSWORD_HASH_CONCURRENCY', 2, { min: 1, max: 64 }),
      queueLength: envInt(env, 'PASSWORD_HASH_QUEUE', 16, { max: 10_000 }),
      // Well inside the gateway's SUBGRAPH_TIMEOUT_MS (10 s): a refusal, never a timeout.
      maxWaitMs: envInt(env, 'PASSWORD_HASH_MAX_WAIT_MS', 2000, { min: 10, max: 60_000 }),
    },
  };
}
