// Rate limits at the gateway, the one door clients use: the settings, and the limits made
// from them. Requests are counted per IP and per user (requestLimits.ts); sign-ins and
// sign-ups also have limits of their own (signInLimits.ts).
import type { ApolloServerPlugin } from '@apollo/server';
import type { RateLimitStore } from '../platform/rateLimit.js';
import type { GatewayContext } from './context.js';
import { inFlightCounter } from './inFlightCounter.js';
import { createRequestLimits, type RequestLimits } from './requestLimits.js';
import { signInLimitsPlugin } from './signInLimits.js';

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

export interface GatewayLimits extends RequestLimits {
  /** The sign-in and sign-up limits, applied once the operation is known. */
  signInPlugin: ApolloServerPlugin<GatewayContext>;
}

export function createGatewayLimits(settings: RateLimitSettings, store: RateLimitStore): GatewayLimits {
  const optional = (name: string, points: number, windowSeconds: number) => (points > 0 ? store.limit(name, points, windowSeconds) : null);
  const requests = createRequestLimits(optional('ip', settings.perIpPerMinute, 60), optional('user', settings.perUserPerMinute, 60));
  const signInPlugin = signInLimitsPlugin({
    inFlight: settings.signInsInFlightPerIp > 0 ? inFlightCounter(settings.signInsInFlightPerIp) : null,
    failedLogins: optional('login-ip', settings.failedLoginsPerIp, LOGIN_WINDOW_SECONDS),
    signUps: optional('signup-ip', settings.signUpsPerIp, SIGNUP_WINDOW_SECONDS),
  });
  return { admit: requests.admit, signInPlugin };
}
