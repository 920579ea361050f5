// A subgraph's Subscription fields, served over GraphQL over WebSocket (graphql-ws's
// graphql-transport-ws protocol) on its /graphql, for the gateway. The gateway keeps one
// connection per subgraph and multiplexes every client's subscriptions over it, so the
// caller is not the connection's but each subscription's: the client's bearer token
// travels in the subscribe message's `extensions.authorization` and is verified here, as
// the HTTP path verifies the Authorization header. docs/subscriptions.md.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { getOperationAST, GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { bearerToken, InvalidTokenError, tokenExpiresAt, type Caller, type Tokens } from './auth.js';
import { badInput, createErrorFormatter, unauthenticated } from './errors.js';
import type { LiveTransport } from './http.js';
import type { Logger } from './logger.js';

/** How often each connection is pinged; one that does not answer within as long is dropped. */
const KEEP_ALIVE_MS = 12_000;
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface SubgraphSubscriptionOptions<TContext> {
  schema: GraphQLSchema;
  tokens: Tokens;
  production: boolean;
  log: Logger;
  /** The per-subscription context (loaders and all), as an HTTP request would get it. */
  contextFor(caller: Caller | null, requestId: string, expiresAt: number | undefined): TContext;
}

export function subgraphSubscriptions<TContext>(options: SubgraphSubscriptionOptions<TContext>): LiveTransport {
  const { schema, tokens, log } = options;
  const format = createErrorFormatter({ production: options.production, onUnexpected: (error) => log.error({ err: error }, 'unexpected error in a subscription') });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const server = useServer(
    {
      schema,
      async onSubscribe(_ctx, _id, payload) {
        let caller: Caller | null = null;
        let expiresAt: number | undefined;
        const authorization = payload.extensions?.authorization;
        try {
          const token = bearerToken(typeof authorization === 'string' ? authorization : undefined);
          if (token) {
            caller = await tokens.verify(token);
            expiresAt = tokenExpiresAt(token);
          }
        } catch (error) {
          if (error instanceof InvalidTokenError) return [unauthenticated(error.message)];
          throw error;
        }
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        // Queries and mutations have their HTTP path, with its retries and limits.
        if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') return [badInput('Only subscriptions are served over WebSocket here.')];
        const requestId = typeof payload.extensions?.requestId === 'string' ? payload.extensions.requestId.slice(0, 128) : randomUUID();
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: options.contextFor(caller, requestId, expiresAt),
        };
      },
      // Errors in events are masked exactly as in HTTP answers.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => format(error.toJSON(), error)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => format(error.toJSON(), error)),
    },
    sockets,
    KEEP_ALIVE_MS,
  );
  return {
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
    },
    // graphql-ws closes each connection with 1001 Going Away: the gateway tells its
    // clients the subgraph went away and they subscribe again.
    close: () => server.dispose() as Promise<void>,
  };
}
