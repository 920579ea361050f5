// The gateway's per-request context: who is calling, checked here first so a bad token
// is refused before any subgraph is asked, and counted against the rate limits.
import type { ServerResponse } from 'node:http';
import { bearerToken, InvalidTokenError, type Caller, type Tokens } from '../platform/auth.js';
import type { Deadline } from '../platform/deadline.js';
import { refusingRequest, unauthenticated } from '../platform/errors.js';
import type { RequestInfo } from '../platform/http.js';
import { clientAddress, type TrustedProxies } from './clientAddress.js';
import type { RequestLimits } from './requestLimits.js';

export interface GatewayContext {
  caller: Caller | null;
  /** The verified Authorization header, forwarded to the subgraphs as it came. */
  authorization?: string;
  requestId: string;
  /** The client's address (gateway/clientAddress.ts), for the per-IP limits. */
  clientIp: string;
  /** Runs `callback` once the answer is sent or the connection is gone, whatever happened in between. */
  whenAnswered(callback: () => void): void;
  /** The request's whole budget (REQUEST_TIMEOUT_MS) from its arrival; each subgraph call gets what is left (set by server.ts). */
  deadline?: Deadline;
  /** Set for a subscription's operation: its fetches (one per event per subscriber) are never shared with others. */
  subscription?: boolean;
}

export async function createGatewayContext(
  tokens: Tokens,
  limits: RequestLimits,
  trustedProxies: TrustedProxies,
  { request, response, requestId }: RequestInfo,
): Promise<GatewayContext> {
  const context: GatewayContext = { caller: null, requestId, clientIp: clientAddress(request, trustedProxies), whenAnswered: (callback) => whenClosed(response, callback) };
  const header = request.headers.authorization;
  try {
    const token = bearerToken(header);
    if (token) {
      const caller = await tokens.verify(token);
      // The gateway holds no service key, so a service token cannot verify here at all;
      // and should one ever, service credentials are for subgraph-to-subgraph calls only.
      if (caller.kind !== 'user') throw new InvalidTokenError('invalid');
      Object.assign(context, { caller, authorization: header });
    }
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      // Counted against the IP before it is refused: forged tokens are requests like any other.
      await limits.admit(context.clientIp, null, response);
      throw refusingRequest(unauthenticated(error.message), 401);
    }
    throw error;
  }
  await limits.admit(context.clientIp, context.caller, response);
  return context;
}

function whenClosed(response: ServerResponse, callback: () => void) {
  if (response.closed) callback();
  else response.once('close', callback);
}
