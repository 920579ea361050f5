// GraphQL over Server-Sent Events at the gateway's /graphql (the graphql-sse library's
// protocol; "distinct connections" mode: one request per operation, answered as an event
// stream; the "single connection" mode's reservations work too). The token comes in the
// Authorization header, as for any HTTP request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler } from 'graphql-sse/lib/use/http';
import { InvalidTokenError } from '../../platform/auth.js';
import { codedError, ErrorCode } from '../../platform/errors.js';
import { sendable } from './execute.js';
import type { LiveOperations, LiveSession } from './operations.js';

type Format = (formatted: { message: string; extensions?: Record<string, unknown> }, error: unknown) => unknown;

const MAX_BODY_BYTES = 1024 * 1024;

export function sseTransport(options: { operations: LiveOperations; format: Format }) {
  const { operations } = options;
  const streams = new Set<ServerResponse>();
  const handler = createHandler<Record<string, unknown>>({
    async onSubscribe(request, params) {
      const raw = request.raw as IncomingMessage;
      const response = (request.context as { res: ServerResponse }).res;
      let session: LiveSession;
      try {
        session = await operations.openSession(raw.headers.authorization, raw);
      } catch (error) {
        if (!(error instanceof InvalidTokenError)) throw error;
        const body = JSON.stringify({ errors: [options.format(codedError(ErrorCode.Unauthenticated, error.message).toJSON(), null)] });
        return [body, { status: 401, statusText: 'Unauthorized', headers: { 'content-type': 'application/json; charset=utf-8' } }];
      }
      const prepared = await operations.prepare(session, params, response);
      // `data: null` makes it a result to graphql-sse (which tells one by its `data` key);
      // without it the refusal became a bare 400 that hid its code from the client.
      if (Array.isArray(prepared)) return { data: null, errors: prepared.map((error) => sendable(options.format(error.toJSON(), error) as never)) } as never;
      return prepared as never;
    },
    subscribe: (args) => {
      const { session } = args.contextValue as unknown as { session: LiveSession };
      return operations.subscribe(args, { onSlowConsumer: () => session.request.socket.destroy() }) as never;
    },
    execute: (args) => operations.execute(args) as never,
  });

  return {
    /** Answers the request if it asks for an event stream (or is part of the single-connection mode). */
    async stream(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
      const accept = String(request.headers.accept ?? '');
      const reservation = request.method === 'PUT' || request.headers['x-graphql-event-stream-token'] !== undefined || new URL(request.url ?? '/', 'http://x').searchParams.has('token');
      if (!accept.includes('text/event-stream') && !reservation) return false;
      if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
        response.writeHead(413, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ errors: [{ message: 'The request body is too large.', extensions: { code: 'BAD_REQUEST' } }] }));
        return true;
      }
      streams.add(response);
      response.once('close', () => streams.delete(response));
      await handler(request, response);
      return true;
    },
    streams: () => streams.size,
    /** Ends every stream: its client reconnects (to another instance). */
    async close() {
      for (const response of streams) response.end();
    },
  };
}
