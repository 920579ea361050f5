// Reading settings from the environment: every service's config.ts is built from
// these, so a missing or malformed value stops start-up with a message naming it.

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function envString(env: Env, name: string, fallback?: string): string {
  const value = env[name]?.trim();
  if (value) return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(name, 'is required but not set.');
}

export function envOptional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function envInt(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}".`);
  }
  return value;
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = envOptional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}".`);
}

export function envUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = envOptional(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL.');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${url.protocol}".`);
  }
  return raw;
}

/** Settings every process shares: the run mode and how user tokens are signed. */
export interface PlatformConfig {
  production: boolean;
  logLevel: string;
  jwtSecret: string;
  jwtIssuer: string;
  jwtAudience: string;
  jwtTtlSeconds: number;
  /** How long a stopping process lets requests in flight finish before cutting them. */
  shutdownGraceMs: number;
  /** Where rate-limit counts are shared between instances; unset keeps them in memory. */
  redisUrl?: string;
  redisKeyPrefix: string;
}

export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789';

export function readPlatformConfig(env: Env = process.env): PlatformConfig {
  const production = env.NODE_ENV === 'production';
  // One shared secret used to sign every service's calls, so whoever held it (the gateway
  // included) could speak as any service; a deployment that still sets it has not moved
  // to the per-service keys, and would otherwise start on development keys or not at all.
  if (envOptional(env, 'INTERNAL_SECRET') !== undefined) {
    throw new ConfigError(
      'INTERNAL_SECRET',
      'is no longer used: each calling service signs with its own Ed25519 key. Remove it and set ORDERS_PRIVATE_KEY, NOTIFICATIONS_PRIVATE_KEY, ORDERS_PUBLIC_KEYS and NOTIFICATIONS_PUBLIC_KEYS (`npm run keys` prints a fresh set; see docs/service-identity.md).',
    );
  }
  const jwtSecret = envString(env, 'JWT_SECRET', production ? undefined : DEV_JWT_SECRET);
  if (jwtSecret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters long.');
  if (production && jwtSecret === DEV_JWT_SECRET) throw new ConfigError('JWT_SECRET', 'is the documented development default; set a secret of your own in production.');
  return {
    production,
    logLevel: envString(env, 'LOG_LEVEL', env.NODE_ENV === 'test' ? 'silent' : 'info'),
    jwtSecret,
    jwtIssuer: envString(env, 'JWT_ISSUER', 'supergraph'),
    jwtAudience: envString(env, 'JWT_AUDIENCE', 'supergraph-clients'),
    jwtTtlSeconds: envInt(env, 'JWT_TTL_SECONDS', 3600, { min: 60, max: 30 * 24 * 3600 }),
    shutdownGraceMs: envInt(env, 'SHUTDOWN_GRACE_MS', 10_000, { min: 0, max: 600_000 }),
    redisUrl: envUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: envString(env, 'REDIS_KEY_PREFIX', 'supergraph'),
  };
}
