// What the gateway forwards of its caller to a subgraph, kept in one place: it is what a
// subgraph's answer may depend on, so it is also part of what makes two fetches the same
// (gateway/inFlight.ts). A header forwarded from here on is shared by no two callers who
// sent it differently; one forwarded anywhere else would be.
import type { GatewayContext } from './context.js';

/** The caller's headers the subgraphs see (their names, lower case). */
export const CALLER_HEADERS = ['authorization'] as const;

/** The caller's headers to send with a subgraph fetch; empty for the gateway's own requests. */
export function callerHeaders(context: Partial<GatewayContext>): Record<string, string> {
  const headers: Record<string, string> = {};
  // The Authorization header as the client sent it, once verified (gateway/context.ts).
  if (context.authorization) headers.authorization = context.authorization;
  return headers;
}
