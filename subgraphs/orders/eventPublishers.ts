// The two ways order events leave this service. On the embedded default they go straight
// to the notifications subgraph's hidden receiveOrderEvents operation (no extra server to
// run); with NATS_URL they go to a JetStream stream, and any number of consumers read
// them from there at their own pace.
//
// Each tells apart whose fault a failure is, because the relay acts on it: a transport
// that cannot be reached (refused, reset, timed out, the consumer's own database down)
// throws, and nothing is held against the events; a refusal of one event (too large, not
// readable) is that event's, and counts towards parking it; a call refused as a whole for
// something in it (BatchRefusedError) is split by the relay until the event is found.
import { jetstream, JetStreamApiError } from '@nats-io/jetstream';
import { headers, InvalidArgumentError } from '@nats-io/transport-node';
import { serviceTokenSource, type Tokens } from '../../platform/auth.js';
import { ErrorCode } from '../../platform/errors.js';
import { callWithDeadline, createCallPool } from '../../platform/outgoingCall.js';
import { connectEventStream, type EventStreamConnection } from '../../platform/eventStream.js';
import { orderSubject, type OrderEvent } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { injectTrace } from '../../platform/tracing.js';

/** What became of one event in a delivery. */
export type Delivery =
  /** Accepted for good (stored by the transport, or applied or known by the consumer). */
  | { outcome: 'accepted' }
  /** The consumer asked for it again later (an earlier event of its order is missing). */
  | { outcome: 'later' }
  /** The transport could not take it: an outage, not the event's fault. */
  | { outcome: 'unreachable'; error: unknown }
  /** Refused on its own account; `final` when trying again cannot help. */
  | { outcome: 'refused'; reason: string; final: boolean };

/** The consumer refused a call as a whole because of something in it (its size, one bad event). */
export class BatchRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BatchRefusedError';
  }
}

export interface EventPublisher {
  transport: 'http' | 'nats';
  /**
   * Sends events in order and says, per event, what became of it. Throws
   * BatchRefusedError when the call was refused as a whole for its content, and any other
   * error when the transport could not be reached.
   */
  publish(events: OrderEvent[]): Promise<Delivery[]>;
  close(): Promise<void>;
}

const RECEIVE = 'mutation Receive($events: [String!]!) { receiveOrderEvents(events: $events) { eventId outcome } }';

interface ReceiveReply {
  data?: { receiveOrderEvents: { eventId: string; outcome: 'APPLIED' | 'DUPLICATE' | 'DEFERRED' | 'REJECTED' }[] } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Answers that say the consumer cannot work or will not hear us, whatever we send. */
const NOT_THE_EVENTS = new Set<string>([ErrorCode.SubgraphUnavailable, ErrorCode.Unauthenticated, ErrorCode.Forbidden]);

/** `timeoutMs` (EVENTS_TIMEOUT_MS) bounds each call, its connect included: the relay is a background job with no request budget. */
export function httpPublisher(options: { url: string; timeoutMs: number; tokens: Tokens }): EventPublisher {
  const serviceToken = serviceTokenSource(options.tokens, 'notifications');
  const pool = createCallPool({ connectTimeoutMs: options.timeoutMs, connections: 8 });
  return {
    transport: 'http',
    async publish(events) {
      const response = await callWithDeadline(options.url, {
        method: 'POST',
        // The trace context of a one-event call (publishTracing.ts); none for a batch.
        headers: injectTrace({ 'content-type': 'application/json', authorization: `Bearer ${await serviceToken()}` }),
        body: JSON.stringify({ query: RECEIVE, variables: { events: events.map((event) => JSON.stringify(event)) } }),
        timeoutMs: options.timeoutMs,
        dispatcher: pool,
      });
      if (response.status === 413) throw new BatchRefusedError(`notifications refused the call as too large (HTTP 413, ${events.length} events)`);
      // Not a GraphQL answer (a proxy's error page): whatever is in front of the consumer is failing.
      const reply = parseOr(response.text, () => new Error(`notifications answered HTTP ${response.status} without a GraphQL body`)) as ReceiveReply;
      const receipts = reply.data?.receiveOrderEvents;
      if (!receipts) {
        const code = reply.errors?.[0]?.extensions?.code ?? '';
        const reason = `notifications refused the call: ${code || response.status} ${reply.errors?.[0]?.message ?? ''}`.trim();
        if (NOT_THE_EVENTS.has(code) || response.status >= 502) throw new Error(reason);
        throw new BatchRefusedError(reason);
      }
      const outcome = new Map(receipts.map((receipt) => [receipt.eventId, receipt.outcome]));
      return events.map((event): Delivery => {
        switch (outcome.get(event.id)) {
          case 'APPLIED':
          case 'DUPLICATE':
            return { outcome: 'accepted' };
          case 'REJECTED':
            return { outcome: 'refused', reason: 'notifications cannot read it (REJECTED)', final: true };
          default:
            return { outcome: 'later' };
        }
      });
    },
    close: () => pool.close(),
  };
}

// Private: the body as JSON, or the error `otherwise` makes when it is not JSON.
function parseOr(text: string, otherwise: () => Error): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw otherwise();
  }
}

export function natsPublisher(options: { url: string; stream: string; timeoutMs: number; log: Logger }): EventPublisher {
  let connection: Promise<EventStreamConnection> | undefined;
  const connected = () => {
    // Connects on first use and again after a failed attempt; the client itself
    // reconnects a connection that was up.
    connection ??= connectEventStream(options.url, options.stream, 'orders', options.log).catch((error: unknown) => {
      connection = undefined;
      throw error;
    });
    return connection;
  };
  return {
    transport: 'nats',
    async publish(events) {
      const js = jetstream((await connected()).nats);
      // All at once on one connection: the server stores them in the order they were
      // written, and the batch takes one timeout at most. The event id as Nats-Msg-Id: a
      // re-send after a lost acknowledgement is stored once. Each message succeeds or
      // fails on its own.
      const settled = await Promise.allSettled(
        events.map(async (event) =>
          js.publish(orderSubject(options.stream, event.orderId), JSON.stringify(event), { msgID: event.id, timeout: options.timeoutMs, headers: traceHeaders(event) }),
        ),
      );
      return settled.map((result): Delivery => (result.status === 'fulfilled' ? { outcome: 'accepted' } : natsFailure(result.reason)));
    },
    async close() {
      const current = connection;
      connection = undefined;
      await current?.then((open) => open.close(), () => {});
    },
  };
}

// Private: the event's trace context as message headers too, where NATS tooling looks for it.
function traceHeaders(event: OrderEvent) {
  if (!event.traceparent) return undefined;
  const head = headers();
  head.set('traceparent', event.traceparent);
  if (event.tracestate) head.set('tracestate', event.tracestate);
  return head;
}

// Private: a message the client or the server refuses for what it is (larger than the
// server's max payload, refused by the stream) is the event's problem; anything else
// (a timeout, a closed connection, no stream answering) is the transport's.
function natsFailure(error: unknown): Delivery {
  if (error instanceof InvalidArgumentError || error instanceof JetStreamApiError) {
    return { outcome: 'refused', reason: `NATS refused the message: ${(error as Error).message}`, final: false };
  }
  return { outcome: 'unreachable', error };
}
