// The orders service's calls to the inventory subgraph's hidden reservation operations:
// plain GraphQL over HTTP, straight to the subgraph (not through the gateway), with the
// orders service's own credential.
import { serviceTokenSource, type Tokens } from '../../platform/auth.js';
import { codedError, ErrorCode } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import { BrokenCircuitError, createCallPolicy, type ResilienceOptions } from '../../platform/resilience.js';
import { inventoryUnavailable, type OrderLine } from './errors.js';

export interface ReservedLine extends OrderLine {
  name: string;
  unitPriceCents: number;
}

export type ReservationOutcome = 'APPLIED' | 'ALREADY_DONE' | 'NONE';

export interface InventoryClient {
  reserve(orderId: string, lines: OrderLine[], requestId: string): Promise<ReservedLine[]>;
  confirm(orderId: string, requestId: string): Promise<ReservationOutcome>;
  release(orderId: string, requestId: string): Promise<ReservationOutcome>;
  commit(orderId: string, requestId: string): Promise<ReservationOutcome>;
}

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [ReservationLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { productId name quantity unitPriceCents }
}`;
const CONFIRM = 'mutation Confirm($orderId: ID!) { confirmReservation(orderId: $orderId) }';
const RELEASE = 'mutation Release($orderId: ID!) { releaseReservation(orderId: $orderId) }';
const COMMIT = 'mutation Commit($orderId: ID!) { commitReservation(orderId: $orderId) }';

/** Codes inventory answers that are the client's business, passed on as they are (busy is retryable). */
const PASS_THROUGH = new Set<string>([ErrorCode.OutOfStock, ErrorCode.NotFound, ErrorCode.BadUserInput, ErrorCode.Conflict, ErrorCode.SubgraphUnavailable]);

interface GraphQLReply<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export function createInventoryClient(options: { url: string; timeoutMs: number; tokens: Tokens; resilience?: ResilienceOptions; metrics?: Metrics }): InventoryClient {
  // Every call here is a mutation, so none is retried automatically: callers decide
  // (placeOrder is retried by clients with an idempotency key, the sweeper by its schedule).
  // Only a call that got no answer counts against the circuit; inventory answering
  // "busy" is an answer (load, not an outage) and goes back to the buyer to retry.
  const policy = createCallPolicy(
    {
      isFailure: (error) => {
        const extensions = (error as { extensions?: { code?: string; reason?: string } }).extensions;
        return extensions?.code === ErrorCode.SubgraphUnavailable && extensions.reason !== 'busy';
      },
    },
    options.resilience,
    options.metrics && { target: 'inventory', metrics: options.metrics },
  );
  const serviceToken = serviceTokenSource(options.tokens, 'inventory');

  async function call<T>(query: string, variables: Record<string, unknown>, requestId: string): Promise<T> {
    try {
      return await policy.execute(() => send<T>(query, variables, requestId), false);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw inventoryUnavailable('circuit_open');
      throw error;
    }
  }

  async function send<T>(query: string, variables: Record<string, unknown>, requestId: string): Promise<T> {
    let reply: GraphQLReply<T>;
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await serviceToken()}`,
          'x-request-id': requestId,
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      reply = (await response.json()) as GraphQLReply<T>;
    } catch (error) {
      throw inventoryUnavailable((error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
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
    reserve: async (orderId, lines, requestId) =>
      (await call<{ reserveStock: ReservedLine[] }>(RESERVE, { orderId, lines }, requestId)).reserveStock,
    confirm: async (orderId, requestId) =>
      (await call<{ confirmReservation: ReservationOutcome }>(CONFIRM, { orderId }, requestId)).confirmReservation,
    release: async (orderId, requestId) =>
      (await call<{ releaseReservation: ReservationOutcome }>(RELEASE, { orderId }, requestId)).releaseReservation,
    commit: async (orderId, requestId) =>
      (await call<{ commitReservation: ReservationOutcome }>(COMMIT, { orderId }, requestId)).commitReservation,
  };
}
