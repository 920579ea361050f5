// How the gateway calls a subgraph: it forwards the caller's bearer token (each subgraph
// verifies it again, so reaching a subgraph directly gains nothing) and the request id;
// each subgraph has a timeout and a circuit breaker, and queries (never mutations) are
// retried when the connection failed (refused, reset), not when the subgraph was too slow:
// a second wait for a hung subgraph only doubles the client's. A subgraph that cannot be
// reached becomes a coded error that names it.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../platform/errors.js';
import { BrokenCircuitError, createCallPolicy, type CallPolicy, type ResilienceOptions } from '../platform/resilience.js';
import type { Metrics } from '../platform/metrics.js';
import type { GatewayContext } from './context.js';
import type { Fetcher } from './subgraphFetcher.js';

export interface SubgraphCallOptions extends ResilienceOptions {
  timeoutMs: number;
}

const isUnavailable = (error: unknown) => (error as GraphQLError)?.extensions?.code === ErrorCode.SubgraphUnavailable;
const isTimeout = (error: unknown) => (error as Error)?.name === 'TimeoutError';

export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly policy: CallPolicy;

  constructor(readonly name: string, url: string, options: SubgraphCallOptions, metrics: Metrics, fetcher: Fetcher) {
    // Pooled keep-alive connections and a hard deadline per call (gateway/subgraphFetcher.ts).
    super({ url, fetcher: fetcher as never });
    this.policy = createCallPolicy(
      { isFailure: isUnavailable, isRetryable: (error) => (error as GraphQLError).extensions?.reason !== 'timeout' },
      options,
      { target: name, metrics },
    );
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    // The gateway writes each subgraph operation itself, so its first word tells its kind.
    const repeatable = !/^\s*mutation\b/.test(options.request.query ?? '');
    try {
      return await this.policy.execute(() => super.process(options), repeatable);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.unavailable('circuit_open');
      throw error;
    }
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Context is absent for the gateway's own requests (none with a static supergraph).
    if (!('requestId' in context)) return;
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    request.http?.headers.set('x-request-id', context.requestId);
  }

  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    // Apollo's default copies the subgraph's URL and whole body into the client's error.
    // A subgraph's own GraphQL refusal (a bad token: 401) passes on as its code and
    // message; anything else (a proxy's 502, a crash page) means the subgraph is not
    // answering properly, which counts against its circuit like a refused connection.
    const body = (await response.json().catch(() => null)) as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | null;
    const first = body?.errors?.[0];
    if (typeof first?.message === 'string' && typeof first.extensions?.code === 'string' && first.extensions.code !== ErrorCode.InternalServerError) {
      return codedError(first.extensions.code as ErrorCode, first.message);
    }
    return this.unavailable('unreachable');
  }

  override didEncounterError(error: Error, _request: unknown, response?: unknown): void {
    // No whole HTTP response: refused, reset, or past the deadline (which may strike while
    // the body streams in). The message would carry the subgraph's host, so the client
    // gets the subgraph's name, a stable code and the reason instead.
    if (isTimeout(error)) throw this.unavailable('timeout');
    if (!response) throw this.unavailable('unreachable');
    throw error;
  }

  private unavailable(reason: 'timeout' | 'unreachable' | 'circuit_open') {
    return codedError(ErrorCode.SubgraphUnavailable, `The ${this.name} service is unavailable.`, { subgraph: this.name, reason });
  }
}
