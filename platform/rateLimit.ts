// Counting requests per key (an IP, a user, an email) in fixed windows: in this process's
// memory by default, in Redis when REDIS_URL is set so that every instance of a service
// shares one count. Built on rate-limiter-flexible. If Redis stops answering, each
// process falls back to its own memory count rather than letting everything through
// or refusing everyone.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { codedError, ErrorCode } from './errors.js';

/** Where a limit stands for one key after a request was counted (or looked at). */
export interface LimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the count starts again. */
  resetSeconds: number;
}

export interface Limit {
  readonly points: number;
  readonly windowSeconds: number;
  /** Counts one request for `key`. */
  hit(key: string, cost?: number): Promise<LimitState>;
  /** Where `key` stands, without counting anything. */
  peek(key: string): Promise<LimitState>;
  /** Forgets `key` (after a successful log-in, say). */
  reset(key: string): Promise<void>;
  /** Gives back `cost` counted by `hit` (an attempt that turned out not to count). */
  refund(key: string, cost?: number): Promise<void>;
}

export interface RateLimitStore {
  /** A limit of `points` per `windowSeconds`; `name` keeps its keys apart from other limits'. */
  limit(name: string, points: number, windowSeconds: number): Limit;
  /**
   * Resolves once Redis answers, or after `timeoutMs` if it does not. A service awaits it
   * before it listens: counted before the connection was up, its first requests would
   * land in its own memory and every instance would let a client past the shared limit.
   * A Redis that stays away delays the start by `timeoutMs`, no more.
   */
  connected(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function createRateLimitStore(options: { redisUrl?: string; keyPrefix?: string } = {}): RateLimitStore {
  const prefix = options.keyPrefix ?? 'supergraph';
  // No offline queue: while Redis is away a call fails at once and the memory fallback answers.
  const redis = options.redisUrl ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false }) : undefined;
  redis?.on('error', () => {}); // reconnects on its own; each failed call is covered by the fallback

  return {
    limit(name, points, windowSeconds) {
      const settings = { keyPrefix: `${prefix}:${name}`, points, duration: windowSeconds };
      const limiter: RateLimiterAbstract = redis
        ? new RateLimiterRedis({ ...settings, storeClient: redis, insuranceLimiter: new RateLimiterMemory(settings) })
        : new RateLimiterMemory(settings);
      const state = (result: RateLimiterRes, allowed: boolean): LimitState => ({
        allowed,
        limit: points,
        remaining: Math.max(0, result.remainingPoints),
        resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      });
      return {
        points,
        windowSeconds,
        async hit(key, cost = 1) {
          try {
            return state(await limiter.consume(key, cost), true);
          } catch (rejection) {
            if (rejection instanceof RateLimiterRes) return state(rejection, false);
            throw rejection;
          }
        },
        async peek(key) {
          const result = await limiter.get(key);
          if (!result) return { allowed: true, limit: points, remaining: points, resetSeconds: windowSeconds };
          return state(result, result.consumedPoints < points);
        },
        async reset(key) {
          await limiter.delete(key);
        },
        async refund(key, cost = 1) {
          await limiter.reward(key, cost);
        },
      };
    },
    async connected(timeoutMs = 2000) {
      if (!redis || redis.status === 'ready') return;
      await once(redis, 'ready', { signal: AbortSignal.timeout(timeoutMs) }).catch(() => {});
    },
    async close() {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

/** The error a client gets past a limit: HTTP 429 with Retry-After, and when to come back. */
export function rateLimited(message: string, state: LimitState) {
  return codedError(ErrorCode.RateLimited, `${message} Try again in ${state.resetSeconds} s.`, {
    retryAfterSeconds: state.resetSeconds,
  });
}
