// Rate limits at the gateway, the one door clients use: every GraphQL request counts
// against its client's IP (an IPv6 client's /64) and, when signed in, against its user
// (each answer says where the tighter one stands in RateLimit-* headers). Sign-ins and
// sign-ups have limits of their own, because each costs the users service a password hash
// (32 MiB and tens of milliseconds of a libuv thread): a few in flight per IP at a time,
// failed sign-ins per IP in a longer window (on top of the users subgraph's own count per
// account), and sign-ups per IP per hour.
import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type DocumentNode } from 'graphql';
import type { Caller } from '../platform/auth.js';
import { perDocument } from '../platform/documents.js';
import { badInput, codedError, ErrorCode, refusingRequest } from '../platform/errors.js';
import { rateLimited, type Limit, type LimitState, type RateLimitStore } from '../platform/rateLimit.js';
import { limitKey } from './clientAddress.js';
import type { GatewayContext } from './context.js';

export interface RateLimitSettings {
  /** GraphQL requests per IP per minute; 0 turns the limit off. */
  perIpPerMinute: number;
  /** GraphQL requests per signed-in user per minute; 0 turns the limit off. */
  perUserPerMinute: number;
  /** Failed sign-ins per IP per LOGIN_WINDOW_SECONDS; 0 turns the limit off. */
  failedLoginsPerIp: number;
  /** Sign-ups per IP per SIGNUP_WINDOW_SECONDS; 0 turns the limit off. */
  signUpsPerIp: number;
  /** logIn and signUp requests one IP may have in flight at once; 0 turns the limit off. */
  signInsInFlightPerIp: number;
}

const LOGIN_WINDOW_SECONDS = 15 * 60;
const SIGNUP_WINDOW_SECONDS = 60 * 60;
/** What a client refused for having too many sign-ins in flight is told to wait. */
const BUSY_RETRY_SECONDS = 1;
/**
 * Answers that show the users service did nothing with an attempt (no password hashed, no
 * account made): refused input, or a limit or a full queue there. Such an attempt is given
 * back; any other answer, a timeout included, keeps it counted.
 */
const NOTHING_DONE = new Set<string>([ErrorCode.BadUserInput, ErrorCode.RateLimited]);

export interface GatewayLimits {
  /** Counts a request; sets the RateLimit-* headers; throws RATE_LIMITED (429) past a limit. */
  admit(clientIp: string, caller: Caller | null, response: ServerResponse): Promise<void>;
  /** The sign-in and sign-up limits, applied once the operation is known. */
  signInPlugin: ApolloServerPlugin<GatewayContext>;
}

export function createGatewayLimits(settings: RateLimitSettings, store: RateLimitStore): GatewayLimits {
  const optional = (name: string, points: number, windowSeconds: number) => (points > 0 ? store.limit(name, points, windowSeconds) : null);
  const perIp = optional('ip', settings.perIpPerMinute, 60);
  const perUser = optional('user', settings.perUserPerMinute, 60);
  const failedLogins = optional('login-ip', settings.failedLoginsPerIp, LOGIN_WINDOW_SECONDS);
  const signUps = optional('signup-ip', settings.signUpsPerIp, SIGNUP_WINDOW_SECONDS);
  const inFlight = settings.signInsInFlightPerIp > 0 ? inFlightCounter(settings.signInsInFlightPerIp) : null;

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

    signInPlugin: {
      async requestDidStart() {
        // The attempt this request counted, to give back if the answer shows nothing was done.
        let counted: { limit: Limit; key: string; givenBackOnSuccess: boolean } | undefined;
        return {
          async didResolveOperation({ document, operation, contextValue, response }) {
            if (!operation) return; // refused as OPERATION_RESOLUTION_FAILURE
            const { logIns, signUps: signUpFields } = countSignIns(document);
            if (logIns + signUpFields === 0) return;
            // One guess per request: aliases must not turn one request into many guesses.
            if (logIns + signUpFields > 1) throw badInput('Sign in or sign up once per request.', logIns > 0 ? 'logIn' : 'signUp');
            const key = limitKey(contextValue.clientIp);
            // First the ones in flight, so a burst is refused before it is counted or sent on.
            if (inFlight) {
              if (!inFlight.enter(key)) {
                response.http.headers.set('retry-after', String(BUSY_RETRY_SECONDS));
                throw refusingRequest(
                  codedError(ErrorCode.RateLimited, `Too many sign-ins from your address at once. Try again in ${BUSY_RETRY_SECONDS} s.`, { reason: 'busy', retryAfterSeconds: BUSY_RETRY_SECONDS }),
                  429,
                );
              }
              contextValue.whenAnswered(() => inFlight.leave(key));
            }
            const limit = logIns > 0 ? failedLogins : signUps;
            if (!limit) return;
            // Counted before the users service sees it, so parallel attempts cannot all pass
            // a check made before any of them was counted.
            const state = await limit.hit(key);
            if (!state.allowed) {
              response.http.headers.set('retry-after', String(state.resetSeconds));
              throw refusingRequest(rateLimited(logIns > 0 ? 'Too many failed sign-ins from your address.' : 'Too many sign-ups from your address.', state), 429);
            }
            counted = { limit, key, givenBackOnSuccess: logIns > 0 };
          },
          async willSendResponse({ response }) {
            if (!counted || response.body.kind !== 'single') return;
            const codes = (response.body.singleResult.errors ?? []).map((error) => String(error.extensions?.code));
            const signedIn = counted.givenBackOnSuccess && codes.length === 0;
            const nothingDone = codes.length > 0 && codes.every((code) => NOTHING_DONE.has(code));
            if (signedIn || nothingDone) await counted.limit.refund(counted.key);
          },
        };
      },
    },
  };
}

/** How many `logIn` and `signUp` fields an operation selects, wherever they sit (aliases, fragments). */
const countSignIns = perDocument((document: DocumentNode) => {
  const count = { logIns: 0, signUps: 0 };
  visit(document, {
    [Kind.FIELD]: (field) => {
      if (field.name.value === 'logIn') count.logIns += 1;
      if (field.name.value === 'signUp') count.signUps += 1;
    },
  });
  return count;
});

// Private: requests in flight per key, in this process. Every gateway instance allows
// `limit` on its own; it bounds what one client keeps the users service busy with, which
// no shared counter could release reliably when an instance dies mid-request.
function inFlightCounter(limit: number) {
  const counts = new Map<string, number>();
  return {
    enter(key: string): boolean {
      const count = counts.get(key) ?? 0;
      if (count >= limit) return false;
      counts.set(key, count + 1);
      return true;
    },
    leave(key: string) {
      const count = (counts.get(key) ?? 1) - 1;
      if (count <= 0) counts.delete(key);
      else counts.set(key, count);
    },
  };
}
