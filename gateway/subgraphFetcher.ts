// The gateway's HTTP client for subgraph calls: undici's request API on a keep-alive
// connection pool. Node's built-in fetch is the same undici underneath but adds WHATWG
// streams and header objects per call: 16 % of the gateway's CPU in a profile
// (docs/performance.md).
//
// A kept-alive connection is renewed after CONNECTION_TTL_MS. Where one subgraph name stands
// for several instances (`docker compose up --scale inventory=3`: Docker's DNS answers the
// name with every container in turn), the name is resolved once per connection; without
// renewal the gateway would keep talking to the instances that were there when it
// connected, so a new or restarted instance would get no share of the load.
import { Agent, request } from 'undici';

/** A whole subgraph answer: the body is read before the call returns. */
export interface FetcherResponse {
  ok: boolean;
  /** The parsed body; rejects if it is not JSON. */
  json(): Promise<unknown>;
}

/** One call; `timeoutMs` is how long to wait for its whole answer (what the request's budget allows). */
export type Fetcher = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; timeoutMs: number }) => Promise<FetcherResponse>;

/** How long a kept-alive connection to a subgraph serves before a new one replaces it. */
export const CONNECTION_TTL_MS = 60_000;

export function createSubgraphFetcher({ connectionTtlMs = CONNECTION_TTL_MS } = {}): Fetcher {
  // One pool for all subgraphs: connections are kept per origin and reused between calls;
  // a connection past its lifetime is closed when next picked, and a fresh one dialled
  // (one TCP handshake a minute per connection: nothing next to the requests it carries).
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, clientTtl: connectionTtlMs });
  return async (url, init) => {
    // The deadline covers the whole exchange, body included; aborting it names the
    // error TimeoutError, which the data source reports as reason "timeout".
    const signal = AbortSignal.timeout(init.timeoutMs);
    const response = await request(url, { method: init.method, headers: init.headers, body: init.body, dispatcher: agent, signal });
    const text = await response.body.text();
    return {
      ok: response.statusCode >= 200 && response.statusCode < 300,
      json: async () => JSON.parse(text),
    };
  };
}
