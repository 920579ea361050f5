// The gateway's per-request context: who is calling, checked here first so a bad token
// is refused before any subgraph is asked.
import type { IncomingMessage } from 'node:http';
import { bearerToken, InvalidTokenError, type Caller, type Tokens } from '../platform/auth.js';
import { unauthenticated } from '../platform/errors.js';

export interface GatewayContext {
  caller: Caller | null;
  /** The verified Authorization header, forwarded to the subgraphs as it came. */
  authorization?: string;
  requestId: string;
}

export async function createGatewayContext(tokens: Tokens, request: IncomingMessage, requestId: string): Promise<GatewayContext> {
  const header = request.headers.authorization;
  try {
    const token = bearerToken(header);
    if (!token) return { caller: null, requestId };
    const caller = await tokens.verify(token);
    // Service credentials are for subgraph-to-subgraph calls only, never for clients.
    if (caller.kind !== 'user') throw new InvalidTokenError('invalid');
    return { caller, authorization: header, requestId };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthenticated(error.message);
    throw error;
  }
}
