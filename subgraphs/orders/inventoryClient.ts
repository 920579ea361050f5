// The orders service's calls to the inventory subgraph's hidden reservation operations:
// plain GraphQL over HTTP, straight to the subgraph (not through the gateway), with the
// orders service's own credential and what is left of the request's budget
// (platform/deadline.ts), so inventory gives up, and says so, before orders stops waiting.
//
// On undici's request API with a pool of its own, not Node's built-in fetch: after two
// calls timed out against a hung inventory (connections accepted, never read), the fetch
// bundled with Node 24 wrote no further request to it, even once it answered again
// (tests/faults.test.ts); undici from npm, as the gateway uses, opens a fresh connection.
// Each call is bounded by its deadline, connect included (platform/outgoingCall.ts).
import { serviceTokenSource, type Tokens } from '../../platform/auth.js';
import { BUDGET_HEADER, DEFAULT_BUDGET_MS, type CallBudget, type Deadline } from '../../platform/deadline.js';
import { codedError, ErrorCode } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import { callWithDeadline, createCallPool, isTimeout, neverSent } from '../../platform/outgoingCall.js';
import { BrokenCircuitError, createCallPolicy, type ResilienceOptions } from '../../platform/resilience.js';
import { injectTrace, inSpan, SpanKind } from '../../platform/tracing.js';
import { inventoryUnavailable, type OrderLine } from './errors.js';

export interface ReservedLine extends OrderLine {
  name: string;
  unitPriceCents: number;
}

/** KEPT: a release with `unconfirmedOnly` found the reservation confirmed, so held for a saved order. */
export type ReservationOutcome = 'APPLIED' | 'ALREADY_DONE' | 'NONE' | 'KEPT';

/** What a call is made for: the request's id (for the logs) and its deadline (for the budget). */
export interface CallScope {
  requestId: string;
  deadline: Deadline;
}

export interface ReleaseOptions {
  /** Keep a reservation that is already confirmed (held for a saved order): answered KEPT. */
  unconfirmedOnly?: boolean;
  /** A clean-up made from the answer margin, after the work's time ran out (Deadline.finalCall). */
  final?: boolean;
}

export interface InventoryClient {
  reserve(orderId: string, lines: OrderLine[], scope: CallScope): Promise<ReservedLine[]>;
  confirm(orderId: string, scope: CallScope): Promise<ReservationOutcome>;
  release(orderId: string, scope: CallScope, options?: ReleaseOptions): Promise<ReservationOutcome>;
  commit(orderId: string, scope: CallScope): Promise<ReservationOutcome>;
  /** Closes the connections to inventory (on shutdown). */
  close(): Promise<void>;
}

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [ReservationLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { productId name quantity unitPriceCents }
}`;
const CONFIRM = 'mutation Confirm($orderId: ID!) { confirmReservation(orderId: $orderId) }';
const RELEASE = 'mutation Release($orderId: ID!, $unconfirmedOnly: Boolean) { releaseReservation(orderId: $orderId, unconfirmedOnly: $unconfirmedOnly) }';
const COMMIT = 'mutation Commit($orderId: ID!) { commitReservation(orderId: $orderId) }';

/** Codes inventory answers that are the client's business, passed on as they are (busy is retryable). */
const PASS_THROUGH = new Set<string>([ErrorCode.OutOfStock, ErrorCode.NotFound, ErrorCode.BadUserInput, ErrorCode.Conflict, ErrorCode.SubgraphUnavailable]);

/**
 * Calls that got no answer from inventory, by whether inventory may have acted on them:
 * 'maybe' (sent, then timed out or cut: it may have reserved), 'no' (refused, or not
 * sent at all because the budget was spent). Inventory's own answers are not in here.
 */
const unanswered = new WeakMap<object, 'maybe' | 'no'>();

/** Whether `error` is a call inventory got, or may have got, without orders hearing the answer. */
export const mayHaveActed = (error: unknown): boolean => unanswered.get(error as object) === 'maybe';

interface GraphQLReply<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface InventoryClientOptions {
  url: string;
  tokens: Tokens;
  /** The longest budget a call can have (DEFAULT_BUDGET_MS unless a caller sends more): no connect waits longer. */
  connectTimeoutMs?: number;
  resilience?: ResilienceOptions;
  metrics?: Metrics;
}

export function createInventoryClient(options: InventoryClientOptions): InventoryClient {
  // Every call here is a mutation, so none is retried automatically: callers decide
  // (placeOrder is retried by clients with an idempotency key, the sweepers by their schedule).
  // Only a call that got no answer counts against the circuit: inventory answering
  // "busy" or "out of time" is an answer (load or lock contention, not an outage), and a
  // call not made because the budget was spent says nothing about inventory at all.
  const policy = createCallPolicy(
    { isFailure: (error) => unanswered.has(error as object) && !notAttempted.has(error as object) },
    options.resilience,
    options.metrics && { target: 'inventory', metrics: options.metrics },
  );
  const notAttempted = new WeakSet<object>();
  const serviceToken = serviceTokenSource(options.tokens, 'inventory');
  const pool = createCallPool({ connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_BUDGET_MS });

  async function call<T>(query: string, variables: Record<string, unknown>, scope: CallScope, final = false): Promise<T> {
    try {
      return await policy.execute(() => send<T>(query, variables, scope, final), { repeatable: false });
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw noAnswer('circuit_open', 'no');
      throw error;
    }
  }

  async function send<T>(query: string, variables: Record<string, unknown>, scope: CallScope, final: boolean): Promise<T> {
    const budget: CallBudget | undefined = final ? scope.deadline.finalCall() : scope.deadline.nextCall();
    if (!budget) {
      const error = noAnswer('timeout', 'no');
      notAttempted.add(error);
      throw error;
    }
    const operation = /^\s*mutation\s+(\w+)/.exec(query)?.[1] ?? 'operation';
    let reply: GraphQLReply<T>;
    try {
      // A client span per attempt; its traceparent makes inventory's server span its child.
      reply = await inSpan(`POST inventory ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'graphql.subgraph': 'inventory', 'graphql.operation.name': operation } }, async (span) => {
        const response = await callWithDeadline(options.url, {
          method: 'POST',
          headers: injectTrace({
            'content-type': 'application/json',
            authorization: `Bearer ${await serviceToken()}`,
            'x-request-id': scope.requestId,
            [BUDGET_HEADER]: String(budget.budgetMs),
          }),
          body: JSON.stringify({ query, variables }),
          timeoutMs: budget.timeoutMs,
          dispatcher: pool,
        });
        span.setAttribute('http.response.status_code', response.status);
        return JSON.parse(response.text) as GraphQLReply<T>;
      });
    } catch (error) {
      // A connect that timed out is a timeout (of the budget or of the connect itself),
      // and proves nothing was sent; one cut short by the deadline may have been.
      throw noAnswer(isTimeout(error) ? 'timeout' : 'unreachable', neverSent(error) ? 'no' : 'maybe');
    }
    const error = reply.errors?.[0];
    if (error) {
      const code = error.extensions?.code;
      if (typeof code === 'string' && PASS_THROUGH.has(code)) {
        const { stacktrace: _stacktrace, code: _code, ...details } = error.extensions ?? {};
        throw codedError(code as ErrorCode, error.message, details);
      }
      throw new Error(`inventory answered ${String(code)}: ${error.message}`);
    }
    if (!reply.data) throw new Error('inventory answered without data');
    return reply.data;
  }

  return {
    reserve: async (orderId, lines, scope) =>
      (await call<{ reserveStock: ReservedLine[] }>(RESERVE, { orderId, lines }, scope)).reserveStock,
    confirm: async (orderId, scope) =>
      (await call<{ confirmReservation: ReservationOutcome }>(CONFIRM, { orderId }, scope)).confirmReservation,
    release: async (orderId, scope, { unconfirmedOnly = false, final = false } = {}) =>
      (await call<{ releaseReservation: ReservationOutcome }>(RELEASE, { orderId, unconfirmedOnly }, scope, final)).releaseReservation,
    commit: async (orderId, scope) =>
      (await call<{ commitReservation: ReservationOutcome }>(COMMIT, { orderId }, scope)).commitReservation,
    close: () => pool.close(),
  };
}

// Private: inventory gave no answer. The client's error names the reason; whether
// inventory may have acted on the call is kept beside it for placeOrder (mayHaveActed).
function noAnswer(reason: 'timeout' | 'unreachable' | 'circuit_open', acted: 'maybe' | 'no') {
  const error = inventoryUnavailable(reason);
  unanswered.set(error, acted);
  return error;
}
