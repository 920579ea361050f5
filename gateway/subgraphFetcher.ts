// The gateway's HTTP client for subgraph calls: undici's request API on a keep-alive
// connection pool (platform/outgoingCall.ts), each call bounded by its deadline from the
// first SYN to the last byte. Node's built-in fetch is the same undici underneath but adds
// WHATWG streams and header objects per call: 16 % of the gateway's CPU in a profile
// (docs/performance.md).
//
// A kept-alive connection is renewed after CONNECTION_TTL_MS. Where one subgraph name stands
// for several instances (`docker compose up --scale inventory=3`: Docker's DNS answers the
// name with every container in turn), the name is resolved once per connection; without
// renewal the gateway would keep talking to the instances that were there when it
// connected, so a new or restarted instance would get no share of the load.
import { callWithDeadline, createCallPool } from '../platform/outgoingCall.js';

/** A whole subgraph answer: the body is read before the call returns. */
export interface FetcherResponse {
  ok: boolean;
  /** The parsed body; rejects if it is not JSON. */
  json(): Promise<unknown>;
}

/** One call; `timeoutMs` is how long to wait for its whole answer (what the request's budget allows). */
export type Fetcher = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; timeoutMs: number }) => Promise<FetcherResponse>;

/** A fetcher with its pool, which the gateway closes when it stops. */
export type PooledFetcher = Fetcher & { close(): Promise<void> };

/** How long a kept-alive connection to a subgraph serves before a new one replaces it. */
export const CONNECTION_TTL_MS = 60_000;

export interface SubgraphFetcherOptions {
  /** The longest any call may wait (REQUEST_TIMEOUT_MS): a connect given up by its call ends by then too. */
  connectTimeoutMs: number;
  connectionTtlMs?: number;
}

export function createSubgraphFetcher({ connectTimeoutMs, connectionTtlMs = CONNECTION_TTL_MS }: SubgraphFetcherOptions): PooledFetcher {
  // One pool for all subgraphs: connections are kept per origin and reused between calls;
  // a connection past its lifetime is closed when next picked, and a fresh one dialled
  // (one TCP handshake a minute per connection: nothing next to the requests it carries).
  const pool = createCallPool({ connectTimeoutMs, connections: 128, connectionTtlMs });
  const fetcher: Fetcher = async (url, init) => {
    // The deadline covers the whole exchange, connect and body included; running out of
    // it (or of the connect's own bound) is what the data source reports as "timeout".
    const { status, text } = await callWithDeadline(url, { ...init, dispatcher: pool });
    return { ok: status >= 200 && status < 300, json: async () => JSON.parse(text) };
  };
  // Destroyed, not closed: once the gateway has stopped answering, a connect still pending
  // to a host that does not answer has no one left to serve.
  return Object.assign(fetcher, { close: () => pool.destroy() });
}
