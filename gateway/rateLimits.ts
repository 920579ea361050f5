// Rate limits at the gateway, the one door clients use: every GraphQL request counts
// against its client's IP and, when signed in, against its user (each answer says where
// the tighter one stands in RateLimit-* headers); failed sign-ins count against the IP in
// a longer window, on top of the users subgraph's own count per account.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type DocumentNode } from 'graphql';
import type { Caller } from '../platform/auth.js';
import { perDocument } from '../platform/documents.js';
import { badInput, ErrorCode, refusingRequest } from '../platform/errors.js';
import { rateLimited, type Limit, type LimitState, type RateLimitStore } from '../platform/rateLimit.js';
import type { GatewayContext } from './context.js';

export interface RateLimitSettings {
  /** GraphQL requests per IP per minute; 0 turns the limit off. */
  perIpPerMinute: number;
  /** GraphQL requests per signed-in user per minute; 0 turns the limit off. */
  perUserPerMinute: number;
  /** Failed sign-ins per IP per LOGIN_WINDOW_SECONDS; 0 turns the limit off. */
  failedLoginsPerIp: number;
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted. */
  trustProxyHops: number;
}

const LOGIN_WINDOW_SECONDS = 15 * 60;

export interface GatewayLimits {
  /** Counts a request; sets the RateLimit-* headers; throws RATE_LIMITED (429) past a limit. */
  admit(clientIp: string, caller: Caller | null, response: ServerResponse): Promise<void>;
  /** Refuses sign-ins from an IP with too many failures, and counts the failures. */
  loginPlugin: ApolloServerPlugin<GatewayContext>;
}

export function createGatewayLimits(settings: RateLimitSettings, store: RateLimitStore): GatewayLimits {
  const optional = (name: string, points: number, windowSeconds: number) => (points > 0 ? store.limit(name, points, windowSeconds) : null);
  const perIp = optional('ip', settings.perIpPerMinute, 60);
  const perUser = optional('user', settings.perUserPerMinute, 60);
  const failedLogins = optional('login-ip', settings.failedLoginsPerIp, LOGIN_WINDOW_SECONDS);

  return {
    async admit(clientIp, caller, response) {
      const counted: [Limit, LimitState][] = [];
      for (const [limit, key] of [
        [perIp, clientIp],
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

    loginPlugin: {
      async requestDidStart() {
        let signingIn = false;
        return {
          async didResolveOperation({ document, contextValue, response }) {
            const attempts = countLogIns(document);
            if (attempts === 0 || !failedLogins) return;
            // One guess per request: aliases must not turn one request into many guesses.
            if (attempts > 1) throw badInput('Sign in once per request.', 'logIn');
            signingIn = true;
            const state = await failedLogins.peek(contextValue.clientIp);
            if (!state.allowed) {
              response.http.headers.set('retry-after', String(state.resetSeconds));
              throw refusingRequest(rateLimited('Too many failed sign-ins from your address.', state), 429);
            }
          },
          async willSendResponse({ response, contextValue }) {
            if (!signingIn || response.body.kind !== 'single') return;
            const failed = response.body.singleResult.errors?.some((error) => error.extensions?.code === ErrorCode.Unauthenticated);
            if (failed) await failedLogins!.hit(contextValue.clientIp);
          },
        };
      },
    },
  };
}

/** How many `logIn` fields an operation selects, wherever they sit (aliases, fragments). */
const countLogIns = perDocument((document: DocumentNode) => {
  let count = 0;
  visit(document, {
    [Kind.FIELD]: (field) => {
      if (field.name.value === 'logIn') count += 1;
    },
  });
  return count;
});

/**
 * The client's address: the socket's peer, or, behind `trustProxyHops` proxies that each
 * append to X-Forwarded-For, the entry that many places from its end. Entries further
 * left were written by the client and prove nothing.
 */
export function clientIp(request: IncomingMessage, trustProxyHops: number): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (trustProxyHops === 0) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((entry) => entry.trim()).filter(Boolean);
  return forwarded[forwarded.length - trustProxyHops] ?? peer;
}
