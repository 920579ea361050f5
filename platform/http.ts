// The HTTP server every process runs: GraphQL on / and /graphql (Apollo Server's
// framework-neutral executeHTTPGraphQLRequest, no web framework in between), plus
// /health (the process is alive) and /ready (it can do its work), CORS, a body limit and,
// where asked for, gzip. /metrics is served either on the same port (development) or on
// a port of its own that only the monitoring network reaches (see `metricsPort`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { metricsText } from './metrics.js';
import { extractTrace, inSpan, SpanKind, type Span } from './tracing.js';

const gzipAsync = promisify(gzip);

export interface RequestInfo {
  request: IncomingMessage;
  /** For headers that depend on who is asking (rate limits); Apollo writes the rest. */
  response: ServerResponse;
  requestId: string;
  /** The request's body as parsed (JSON), for checks made before Apollo reads it. */
  body: unknown;
}

/** Subscriptions on the GraphQL paths, beside Apollo's queries and mutations. */
export interface LiveTransport {
  /** A WebSocket upgrade request on a GraphQL path. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answers a GraphQL over SSE request (before its body is read) and resolves true; false when it is not one. */
  stream?(request: IncomingMessage, response: ServerResponse, requestId: string): Promise<boolean>;
  /** Ends every live connection as "going away", so that clients reconnect (to another instance). */
  close(): Promise<void>;
}

export interface HttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (info: RequestInfo) => Promise<TContext>;
  /** Whether the process can serve (database reachable, migrations applied…). */
  ready: () => Promise<boolean>;
  log: Logger;
  /** Origins allowed to call from a browser; undefined answers no CORS request. */
  corsOrigin?: (origin: string) => boolean;
  /** Largest request body accepted, in bytes. @default 1 MiB */
  maxBodyBytes?: number;
  /** Gzips answers of at least this many characters for clients that accept gzip; unset never compresses. */
  compressFrom?: number;
  /** Served as Prometheus text at /metrics. */
  metrics?: Registry;
  /** Subscriptions over WebSocket (and SSE); unset refuses upgrades. */
  live?: LiveTransport;
  /**
   * Where /metrics is served: undefined serves it on the service's own port; a number (0
   * picks a free one) serves it there only, on a listener that answers nothing else;
   * null serves it nowhere. What a scrape shows (operations, error rates, every upstream's
   * health) is for operators, and on a public port anyone could poll it.
   */
  metricsPort?: number | null;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Where /metrics answers, if anywhere. */
  metricsUrl?: string;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then stops Apollo. */
  close(graceMs?: number): Promise<void>;
}

/**
 * How every server here writes a GraphQL answer (Apollo Server's `stringifyResult`):
 * compact. Apollo's default indents by two spaces, which doubles an answer of 20 orders
 * (12.9 KB to 25.4 KB): twice the bytes for each subgraph to encode and write, for the
 * gateway to read and parse, and for a client to download. Tools that show JSON to a
 * person (Sandbox, `jq`) indent it themselves.
 */
export const stringifyResult = (result: FormattedExecutionResult): string => JSON.stringify(result);

const GRAPHQL_PATHS = new Set(['/', '/graphql']);
const CORS_HEADERS = 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name, x-request-id';

export async function serveHttp<TContext extends BaseContext>(
  options: HttpOptions<TContext>,
  port: number,
  host = '0.0.0.0',
): Promise<RunningServer> {
  const { apollo, log } = options;
  if (options.metrics && options.metricsPort === null) log.warn('/metrics is not served: no metrics port is set (<SERVICE>_METRICS_PORT, see the README)');
  await apollo.start();
  let closing = false;
  const readiness = { ...options, ready: async () => !closing && (await options.ready()) };
  // Responses not yet sent: when stopping, each is told to close its connection after it,
  // so keep-alive clients move on instead of holding the process open.
  const unanswered = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    if (closing) response.setHeader('connection', 'close');
    unanswered.add(response);
    response.once('close', () => unanswered.delete(response));
    handle(readiness, request, response).catch((error) => {
      log.error({ err: error }, 'request handler failed');
      if (!response.headersSent) sendJson(response, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (closing || !options.live || !GRAPHQL_PATHS.has(pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    options.live.upgrade(request, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  let metricsServer: Server | undefined;
  if (options.metrics && typeof options.metricsPort === 'number') {
    // A metrics port that cannot be had (taken, say) fails the start, and leaves nothing listening.
    metricsServer = await serveMetrics(options.metrics, options.metricsPort, host, log).catch(async (error: unknown) => {
      await closeGracefully(server, apollo, 0);
      throw error;
    });
  }
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : options.metrics && options.metricsPort === undefined ? actualPort : undefined;
  return {
    url: `http://localhost:${actualPort}/graphql`,
    port: actualPort,
    metricsUrl: metricsPort === undefined ? undefined : `http://localhost:${metricsPort}/metrics`,
    // Connections already open may still ask /ready while we drain: they hear "not ready".
    close: async (graceMs = 10_000) => {
      closing = true;
      for (const response of unanswered) if (!response.headersSent) response.setHeader('connection', 'close');
      // Scrapes go on while requests drain: the last figures of a stopping process count too.
      await closeGracefully(server, apollo, graceMs, options.live);
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()).closeAllConnections());
    },
  };
}

// Private: the listener of a metrics port. It answers /metrics and nothing else, so what
// is reachable there is exactly what monitoring needs.
async function serveMetrics(registry: Registry, port: number, host: string, log: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/metrics') {
      sendJson(response, 404, errorBody('Only /metrics is served on this port.', 'NOT_FOUND'));
      return;
    }
    metricsText(registry).then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics scrape failed');
        sendJson(response, 500, errorBody('Metrics are unavailable.', 'INTERNAL_SERVER_ERROR'));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

async function handle<TContext extends BaseContext>(options: HttpOptions<TContext>, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  // A client's own request id is kept (so its logs and ours line up) if it looks like one.
  const offered = headerValue(request, 'x-request-id');
  const requestId = offered && /^[\w.:-]{1,128}$/.test(offered) ? offered : randomUUID();
  response.setHeader('x-request-id', requestId);
  applyCors(options, request, response);

  if (request.method === 'OPTIONS') {
    response.writeHead(204).end();
    return;
  }
  if (url.pathname === '/health') {
    sendJson(response, 200, { status: 'ok' });
    return;
  }
  if (url.pathname === '/ready') {
    const ready = await options.ready().catch(() => false);
    sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    return;
  }
  if (url.pathname === '/metrics' && options.metrics && options.metricsPort === undefined) {
    response.writeHead(200, { 'content-type': options.metrics.contentType }).end(await metricsText(options.metrics));
    return;
  }
  if (!GRAPHQL_PATHS.has(url.pathname)) {
    sendJson(response, 404, errorBody(`Nothing at ${url.pathname}; GraphQL is served at /graphql.`, 'NOT_FOUND'));
    return;
  }

  if (options.live?.stream && (await options.live.stream(request, response, requestId))) return;

  // One server span per GraphQL request, a child of the caller's traceparent when it sent
  // one (the gateway's fetch; a client's, whose sampling the gateway decides itself).
  await inSpan(
    `${request.method ?? 'GET'} ${url.pathname}`,
    { kind: SpanKind.SERVER, parent: extractTrace(request.headers), attributes: { 'http.request.method': request.method ?? 'GET', 'url.path': url.pathname, 'request.id': requestId } },
    (span) => answerGraphQL(options, request, response, url, requestId, span),
  );
}

// Private: reads the body and lets Apollo answer it.
async function answerGraphQL<TContext extends BaseContext>(options: HttpOptions<TContext>, request: IncomingMessage, response: ServerResponse, url: URL, requestId: string, span: Span) {
  let body: unknown;
  if (request.method === 'POST') {
    const read = await readBody(request, options.maxBodyBytes ?? 1024 * 1024);
    if (read.tooLarge) {
      sendJson(response, 413, errorBody('The request body is too large.', 'BAD_REQUEST'));
      return;
    }
    const contentType = headerValue(request, 'content-type') ?? '';
    if (contentType.includes('json')) {
      try {
        body = read.text === '' ? undefined : JSON.parse(read.text);
      } catch {
        sendJson(response, 400, errorBody('The request body is not valid JSON.', 'BAD_REQUEST'));
        return;
      }
    } else {
      body = read.text;
    }
  }

  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const result = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body },
    context: () => options.context({ request, response, requestId, body }),
  });
  for (const [key, value] of result.headers) response.setHeader(key, value);
  response.statusCode = result.status ?? 200;
  span.setAttribute('http.response.status_code', response.statusCode);
  if (result.body.kind === 'complete') {
    await sendBody(options, request, response, result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) response.write(chunk);
  response.end();
}

// Private. Compression belongs at the edge (the gateway, answering browsers over real
// networks), at level 1 as nginx's default: a page of 20 orders goes from 13 KB to 3 KB
// for about 1 % of the request's CPU (docs/performance.md). It runs on libuv's pool.
async function sendBody<TContext extends BaseContext>(options: HttpOptions<TContext>, request: IncomingMessage, response: ServerResponse, body: string) {
  if (options.compressFrom === undefined) {
    response.end(body);
    return;
  }
  // Whether or not this answer is compressed, a cache must key it by what the client accepts.
  appendVary(response, 'accept-encoding');
  if (body.length < options.compressFrom || !acceptsGzip(headerValue(request, 'accept-encoding'))) {
    response.end(body);
    return;
  }
  const compressed = await gzipAsync(body, { level: 1 });
  response.setHeader('content-encoding', 'gzip');
  response.end(compressed);
}

/** Whether an Accept-Encoding header allows gzip (named or by `*`, with a q above 0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let named: boolean | undefined;
  let wildcard = false;
  for (const part of header.split(',')) {
    const [coding = '', ...parameters] = part.split(';').map((each) => each.trim().toLowerCase());
    const q = parameters.find((each) => each.startsWith('q='));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') named = allowed;
    else if (coding === '*') wildcard = allowed;
  }
  return named ?? wildcard;
}

function appendVary(response: ServerResponse, field: string) {
  const current = response.getHeader('vary');
  response.setHeader('vary', current ? `${String(current)}, ${field}` : field);
}

function applyCors<TContext extends BaseContext>(options: HttpOptions<TContext>, request: IncomingMessage, response: ServerResponse) {
  const origin = headerValue(request, 'origin');
  if (!origin || !options.corsOrigin?.(origin)) return;
  response.setHeader('access-control-allow-origin', origin);
  appendVary(response, 'origin');
  response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  response.setHeader('access-control-allow-headers', CORS_HEADERS);
  response.setHeader('access-control-expose-headers', 'x-request-id, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, retry-after');
  response.setHeader('access-control-max-age', '600');
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// Private: stops reading (and answers 413) as soon as the limit is passed, so a huge
// body costs no more memory than the limit.
function readBody(request: IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        resolve({ text: '', tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: false }));
    request.on('error', reject);
  });
}

function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function closeGracefully(server: Server, apollo: { stop(): Promise<void> }, graceMs: number, live?: LiveTransport) {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Subscriptions never finish by themselves: they are told to go away at once.
  await live?.close().catch(() => {});
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
  await apollo.stop();
}
