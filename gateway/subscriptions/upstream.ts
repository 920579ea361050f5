// The gateway's side of the subscriptions it holds at subgraphs: one graphql-ws
// connection per subgraph, opened when the first subscription needs it and shared by
// every client's subscriptions to that subgraph (a few sockets between services, not one
// per client). Each subscription carries its client's token in `extensions`, which the
// subgraph verifies as it would an Authorization header (platform/subscriptionServer.ts).
//
// No retries: when the connection breaks (the subgraph stopped or died), every
// subscription on it ends with SUBGRAPH_UNAVAILABLE, and the client decides whether to
// subscribe again; the next subscription opens a new connection.
import { createClient, type Client } from 'graphql-ws';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import WebSocket from 'ws';

/** What a subgraph subscription produces, in order; `error` and `complete` are last. */
export type UpstreamMessage =
  | { kind: 'next'; result: FormattedExecutionResult }
  | { kind: 'error'; errors?: readonly GraphQLFormattedError[] }
  | { kind: 'complete' };

export interface UpstreamRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  authorization?: string;
  requestId: string;
}

export interface Upstream {
  /** Subscribes at `subgraph`; the returned function unsubscribes. */
  subscribe(subgraph: string, request: UpstreamRequest, onMessage: (message: UpstreamMessage) => void): () => void;
  /** Closes every connection (their subscriptions end as unavailable). */
  close(): Promise<void>;
}

/** How often the gateway pings each subgraph connection (a dead peer is noticed within twice that). */
const KEEP_ALIVE_MS = 10_000;

export function createUpstream(urlOf: (subgraph: string) => string): Upstream {
  const clients = new Map<string, Client>();
  const clientFor = (subgraph: string) => {
    let client = clients.get(subgraph);
    if (!client) {
      client = createClient({
        url: urlOf(subgraph).replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        // Closed soon after its last subscription ends; reopened by the next.
        lazyCloseTimeout: 5_000,
        retryAttempts: 0,
        keepAlive: KEEP_ALIVE_MS,
      });
      clients.set(subgraph, client);
    }
    return client;
  };

  return {
    subscribe(subgraph, request, onMessage) {
      let ended = false;
      const end = (message: UpstreamMessage) => {
        if (ended) return;
        ended = true;
        onMessage(message);
      };
      return clientFor(subgraph).subscribe(
        {
          query: request.query,
          variables: request.variables,
          operationName: request.operationName,
          extensions: { authorization: request.authorization, requestId: request.requestId },
        },
        {
          next: (result) => {
            if (!ended) onMessage({ kind: 'next', result: result as FormattedExecutionResult });
          },
          // An array is the subgraph refusing the subscription (GraphQL errors); anything
          // else (a close event, a socket error) means the connection is gone.
          error: (error) => end({ kind: 'error', errors: Array.isArray(error) ? (error as GraphQLFormattedError[]) : undefined }),
          complete: () => end({ kind: 'complete' }),
        },
      );
    },
    async close() {
      await Promise.all([...clients.values()].map((client) => client.dispose()));
      clients.clear();
    },
  };
}
