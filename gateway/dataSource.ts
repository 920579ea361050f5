// How the gateway calls a subgraph: it forwards the caller's bearer token (each subgraph
// verifies it again, so reaching a subgraph directly gains nothing), the request id and
// what is left of the request's budget (platform/deadline.ts), and waits for the answer
// only that long; each subgraph has a circuit breaker, and queries (never mutations) are
// retried when the connection failed (refused, reset) and the budget has room, not when
// the subgraph was too slow: a second wait for a hung subgraph only doubles the client's.
// A subgraph that cannot be reached, or answers with something that is not a GraphQL
// response, becomes a coded error that names it; for a mutation that may have reached the
// subgraph, the error says its outcome is unknown (retry with the same idempotency key).
//
// Identical queries from one caller that overlap in time share one fetch when
// SUBGRAPH_DEDUPE is on (gateway/inFlight.ts): the fetch, its retries and its one count
// against the circuit are the first caller's; each other caller waits for it no longer
// than its own deadline allows. Mutations and subscriptions' fetches are never shared.
//
// This is the gateway's whole GraphQLDataSource, not a RemoteGraphQLDataSource subclass:
// Apollo's class builds node-fetch Headers and a Request (URL parsing included) on every
// call only to hand them to hooks we do not use, 4 % of the gateway's CPU in a profile
// (docs/performance.md), and its hooks had to be bent to keep hosts out of errors.
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLError } from 'graphql';
import type { Counter } from 'prom-client';
import { BUDGET_HEADER, Deadline, DEFAULT_BUDGET_MS } from '../platform/deadline.js';
import { codedError, ErrorCode } from '../platform/errors.js';
import { BrokenCircuitError, createCallPolicy, type CallPolicy, type ResilienceOptions } from '../platform/resilience.js';
import type { Metrics } from '../platform/metrics.js';
import { isTimeout, neverSent } from '../platform/outgoingCall.js';
import { injectTrace, inSpan, markFailed, SpanKind } from '../platform/tracing.js';
import { callerHeaders } from './callerHeaders.js';
import type { GatewayContext } from './context.js';
import { fetchKey, InFlightFetches } from './inFlight.js';
import type { Fetcher, FetcherResponse } from './subgraphFetcher.js';

export interface SubgraphCallOptions extends ResilienceOptions {
  /** The whole budget of one client request (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Whether identical queries in flight share one fetch (SUBGRAPH_DEDUPE). @default true */
  dedupe?: boolean;
}

type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
type Reason = 'timeout' | 'unreachable' | 'circuit_open';

const isUnavailable = (error: unknown) => (error as GraphQLError)?.extensions?.code === ErrorCode.SubgraphUnavailable;

/**
 * Calls not made because the request's budget was spent before them: the subgraph is not
 * to blame, so they do not count against its circuit.
 */
const notAttempted = new WeakSet<object>();

export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly policy: CallPolicy;
  /** Queries on their way, when they are shared (SUBGRAPH_DEDUPE). */
  readonly inFlight?: InFlightFetches<SubgraphResponse>;

  constructor(
    readonly name: string,
    readonly url: string,
    options: SubgraphCallOptions,
    metrics: Metrics,
    // Pooled keep-alive connections and a hard deadline per call (gateway/subgraphFetcher.ts).
    private readonly fetcher: Fetcher,
    /** Counts the fetches saved by sharing (gateway/inFlight.ts fetchesSavedCounter); one counter for every subgraph. */
    private readonly fetchesSaved?: Counter<'subgraph'>,
  ) {
    if (options.dedupe ?? true) this.inFlight = new InFlightFetches();
    this.policy = createCallPolicy(
      {
        isFailure: (error) => isUnavailable(error) && !notAttempted.has(error as object),
        isRetryable: (error) => (error as GraphQLError).extensions?.reason !== 'timeout',
      },
      options,
      { target: name, metrics },
    );
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    // The gateway writes each subgraph operation itself, so its first word tells its kind.
    const mutation = /^\s*mutation\b/.test(options.request.query ?? '');
    // Context is absent for the gateway's own requests (none with a static supergraph).
    const deadline = ('deadline' in options.context && options.context.deadline) || new Deadline(DEFAULT_BUDGET_MS);
    // A subscription's fetches are made per event for each subscriber: never shared.
    if (!this.inFlight || mutation || ('subscription' in options.context && options.context.subscription)) return this.fetch(options, deadline, mutation);
    const key = fetchKey(options.request, callerHeaders(options.context));
    const { answer, joined } = this.inFlight.fetch(key, () => this.fetch(options, deadline, false));
    if (!joined) return answer;
    this.fetchesSaved?.inc({ subgraph: this.name });
    return this.waitAtMost(answer, deadline);
  }

  /** One fetch through the circuit, with retries for a query. */
  private async fetch(options: GraphQLDataSourceProcessOptions<GatewayContext>, deadline: Deadline, mutation: boolean): Promise<SubgraphResponse> {
    try {
      return await this.policy.execute(() => this.send(options, deadline, mutation), { repeatable: !mutation, deadline });
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.unavailable('circuit_open');
      throw error;
    }
  }

  /**
   * A fetch another caller started, waited for only as long as this caller's own call would
   * have been: a request that has less time left than the one that started the fetch gives
   * up on time. Giving up does not cancel the fetch for the others, nor count against the
   * circuit (the subgraph was not asked by this request).
   */
  private async waitAtMost(answer: Promise<SubgraphResponse>, deadline: Deadline): Promise<SubgraphResponse> {
    const call = deadline.nextCall();
    if (!call) throw this.unavailable('timeout');
    let timer: NodeJS.Timeout | undefined;
    const ownDeadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(this.unavailable('timeout')), call.timeoutMs);
    });
    try {
      return await Promise.race([answer, ownDeadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async send({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>, deadline: Deadline, mutation: boolean): Promise<SubgraphResponse> {
    const call = deadline.nextCall();
    if (!call) {
      // Spent before this call (a slow earlier fetch, retries): not sent, so nothing happened.
      const error = this.unavailable('timeout');
      notAttempted.add(error);
      throw error;
    }
    // The caller's own headers come from one place (gateway/callerHeaders.ts), the one
    // that also decides which fetches are the same.
    const headers: Record<string, string> = { 'content-type': 'application/json', [BUDGET_HEADER]: String(call.budgetMs) };
    if ('requestId' in context) {
      Object.assign(headers, callerHeaders(context));
      headers['x-request-id'] = context.requestId;
    }
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName });
    let response: FetcherResponse;
    try {
      // A client span per attempt, inside Apollo Gateway's gateway.fetch span; its
      // traceparent makes the subgraph's server span its child.
      response = await inSpan(`POST ${this.name}`, { kind: SpanKind.CLIENT, attributes: { 'graphql.subgraph': this.name, 'http.request.method': 'POST' } }, async (span) => {
        const answer = await this.fetcher(this.url, { method: 'POST', headers: injectTrace(headers), body, timeoutMs: call.timeoutMs });
        if (!answer.ok) markFailed(span, 'not a 2xx answer');
        return answer;
      });
    } catch (error) {
      // No whole HTTP response: refused, reset, or past the deadline (which may strike
      // while connecting, or while the body streams in; a connect that timed out is a
      // timeout, not retried as a refusal would be). The message would carry the
      // subgraph's host, so the client gets the subgraph's name, a stable code and the
      // reason instead. A mutation that may have arrived may also have been carried out:
      // the client cannot know.
      const reason = isTimeout(error) ? 'timeout' : 'unreachable';
      throw this.unavailable(reason, mutation && !neverSent(error));
    }
    if (!response.ok) throw await this.errorFromResponse(response, mutation);
    const reply = await response.json().catch(() => null);
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) throw this.unavailable('unreachable', mutation);
    return reply as SubgraphResponse;
  }

  private async errorFromResponse(response: FetcherResponse, mutation: boolean): Promise<GraphQLError> {
    // A subgraph's own GraphQL refusal (a bad token: 401) passes on as its code and
    // message; anything else (a proxy's 502, a crash page) means the subgraph is not
    // answering properly, which counts against its circuit like a refused connection.
    // (Apollo's default would copy the subgraph's URL and whole body into the client's error.)
    const body = (await response.json().catch(() => null)) as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | null;
    const first = body?.errors?.[0];
    if (typeof first?.message === 'string' && typeof first.extensions?.code === 'string' && first.extensions.code !== ErrorCode.InternalServerError) {
      return codedError(first.extensions.code as ErrorCode, first.message);
    }
    return this.unavailable('unreachable', mutation);
  }

  /** `outcomeUnknown`: a mutation that may have been carried out (README, "outcome unknown"); the gateway never retries one. */
  private unavailable(reason: Reason, outcomeUnknown = false) {
    if (!outcomeUnknown) return codedError(ErrorCode.SubgraphUnavailable, `The ${this.name} service is unavailable.`, { subgraph: this.name, reason });
    return codedError(
      ErrorCode.SubgraphUnavailable,
      `The ${this.name} service did not answer; the change may or may not have been made. A placeOrder retried with the same idempotencyKey finds out.`,
      { subgraph: this.name, reason, outcome: 'unknown' },
    );
  }
}
