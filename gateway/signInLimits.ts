// Sign-ins and sign-ups have limits of their own, because each costs the users service a
// password hash (32 MiB and tens of milliseconds of a libuv thread): a few in flight per
// IP at a time, failed sign-ins per IP in a longer window (on top of the users subgraph's
// own count per account), and sign-ups per IP per hour. Applied once the operation is known.
import type { ApolloServerPlugin } from '@apollo/server';
import { badInput, codedError, ErrorCode, refusingRequest } from '../platform/errors.js';
import { rateLimited, type Limit } from '../platform/rateLimit.js';
import { limitKey } from './clientAddress.js';
import type { GatewayContext } from './context.js';
import type { InFlightCounter } from './inFlightCounter.js';
import { countSignIns } from './signInFields.js';

/** What a client refused for having too many sign-ins in flight is told to wait. */
const BUSY_RETRY_SECONDS = 1;
/**
 * Answers that show the users service did nothing with an attempt (no password hashed, no
 * account made): refused input, or a limit or a full queue there. Such an attempt is given
 * back; any other answer, a timeout included, keeps it counted.
 */
const NOTHING_DONE = new Set<string>([ErrorCode.BadUserInput, ErrorCode.RateLimited]);

/** Each of these is null when that limit is off. */
export interface SignInLimits {
  inFlight: InFlightCounter | null;
  failedLogins: Limit | null;
  signUps: Limit | null;
}

export function signInLimitsPlugin({ inFlight, failedLogins, signUps }: SignInLimits): ApolloServerPlugin<GatewayContext> {
  return {
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
  };
}
