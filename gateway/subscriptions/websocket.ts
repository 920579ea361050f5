// GraphQL over WebSocket at the gateway's /graphql: the graphql-transport-ws protocol of
// the graphql-ws library, which Apollo Client's GraphQLWsLink speaks. The token comes in
// connection_init's payload as { authorization: "Bearer …" } (the key in any case).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FormattedExecutionResult } from 'graphql';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { InvalidTokenError } from '../../platform/auth.js';
import type { Logger } from '../../platform/logger.js';
import { LiveCloseCode } from './closeCodes.js';
import type { LiveOperations, LiveSession } from './operations.js';
import type { SubscriptionSettings } from './settings.js';

const MAX_MESSAGE_BYTES = 1024 * 1024;
/** setTimeout's longest delay; a token valid for longer is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Format = (formatted: { message: string; extensions?: Record<string, unknown> }, error: unknown) => unknown;

type SessionExtra = Extra & { session?: LiveSession } & Record<PropertyKey, unknown>;

export function webSocketTransport(options: { operations: LiveOperations; settings: SubscriptionSettings; format: Format; log: Logger }) {
  const { operations, settings, log } = options;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const server = useServer<Record<string, unknown> | undefined, SessionExtra>(
    {
      connectionInitWaitTimeout: settings.initTimeoutMs,
      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        try {
          ctx.extra.session = await operations.openSession(authorizationOf(ctx.connectionParams), ctx.extra.request);
        } catch (error) {
          if (!(error instanceof InvalidTokenError)) throw error;
          socket.close(LiveCloseCode.Forbidden, error.reason === 'expired' ? 'Token expired' : 'Token invalid');
          return false;
        }
        closeAtExpiry(socket, ctx.extra.session.expiresAt);
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => operations.prepare(ctx.extra.session!, payload),
      subscribe: (args) => {
        const socket = (args.contextValue as { session: LiveSession }).session.request.socket;
        return operations.subscribe(args, { onSlowConsumer: () => slow(socket) }) as never;
      },
      execute: (args) => operations.execute(args) as never,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => options.format(error.toJSON(), error)) as never,
    },
    sockets,
    settings.keepAliveMs,
  );

  const bySocket = new WeakMap<Duplex, WebSocket>();
  // Private: a subscriber that cannot keep up is disconnected with a reason, rather than
  // left to fill the gateway's memory.
  function slow(raw: Duplex) {
    bySocket.get(raw)?.close(LiveCloseCode.SlowConsumer, 'Slow consumer');
  }

  // Private: a connection lives no longer than its token; the client reconnects with a fresh one.
  function closeAtExpiry(socket: WebSocket, expiresAt: number | undefined) {
    if (expiresAt === undefined) return;
    const check = () => {
      const wait = expiresAt - Date.now();
      if (wait > 0) {
        timer = setTimeout(check, Math.min(wait, MAX_TIMER_MS));
        return;
      }
      socket.close(LiveCloseCode.Forbidden, 'Token expired');
    };
    let timer: NodeJS.Timeout | undefined;
    check();
    socket.once('close', () => clearTimeout(timer));
  }

  return {
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      sockets.handleUpgrade(request, socket, head, (ws) => {
        bySocket.set(request.socket, ws);
        sockets.emit('connection', ws, request);
      });
    },
    connections: () => sockets.clients.size,
    /** Closes every connection with 1001 Going Away. */
    async close() {
      await server.dispose();
      log.debug('subscription sockets closed');
    },
  };
}

/** The Authorization value from connection_init's payload, whatever the case of its key. */
export function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  if (!params || typeof params !== 'object') return undefined;
  for (const [key, value] of Object.entries(params)) if (key.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  return undefined;
}

export type { FormattedExecutionResult };
