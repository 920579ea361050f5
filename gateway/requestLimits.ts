// Every GraphQL request counts against its client's IP (an IPv6 client's /64) and, when
// signed in, against its user; each answer says where the tighter one stands in
// RateLimit-* headers.
import type { ServerResponse } from 'node:http';
import type { Caller } from '../platform/auth.js';
import { refusingRequest } from '../platform/errors.js';
import { rateLimited, type Limit, type LimitState } from '../platform/rateLimit.js';
import { limitKey } from './clientAddress.js';

export interface RequestLimits {
  /** Counts a request; sets the RateLimit-* headers; throws RATE_LIMITED (429) past a limit. */
  admit(clientIp: string, caller: Caller | null, response: ServerResponse): Promise<void>;
}

/** `perIp` and `perUser` are null when that limit is off. */
export function createRequestLimits(perIp: Limit | null, perUser: Limit | null): RequestLimits {
  return {
    async admit(clientIp, caller, response) {
      const counted: [Limit, LimitState][] = [];
      for (const [limit, key] of [
        [perIp, limitKey(clientIp)],
        [perUser, caller?.kind === 'user' ? caller.userId : null],
      ] as const) {
        if (!limit || !key) continue;
        const state = await limit.hit(key);
        counted.push([limit, state]);
        if (!state.allowed) break; // a refused request does not count against the next limit
      }
      if (counted.length === 0) return;
      // The tightest limit is the one the client must pace itself by.
      const [limit, state] = counted.reduce((tightest, next) => (next[1].remaining < tightest[1].remaining || !next[1].allowed ? next : tightest));
      response.setHeader('ratelimit-limit', String(state.limit));
      response.setHeader('ratelimit-remaining', String(state.remaining));
      response.setHeader('ratelimit-reset', String(state.resetSeconds));
      response.setHeader('ratelimit-policy', `${limit.points};w=${limit.windowSeconds}`);
      if (!state.allowed) {
        response.setHeader('retry-after', String(state.resetSeconds));
        throw refusingRequest(rateLimited('Too many requests.', state), 429);
      }
    },
  };
}
