// The two ways order events leave this service. On the embedded default they go straight
// to the notifications subgraph's hidden receiveOrderEvents operation (no extra server to
// run); with NATS_URL they go to a JetStream stream, and any number of consumers read
// them from there at their own pace.
import { jetstream } from '@nats-io/jetstream';
import { serviceTokenSource, type Tokens } from '../../platform/auth.js';
import { connectEventStream, type EventStreamConnection } from '../../platform/eventStream.js';
import { orderSubject, type OrderEvent } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';

export interface EventPublisher {
  transport: 'http' | 'nats';
  /**
   * Sends events in order; answers, per event, whether it was accepted for good (false:
   * the consumer asked for it again later). Throws when the transport cannot be reached.
   */
  publish(events: OrderEvent[]): Promise<boolean[]>;
  close(): Promise<void>;
}

const RECEIVE = 'mutation Receive($events: [String!]!) { receiveOrderEvents(events: $events) { eventId outcome } }';

interface ReceiveReply {
  data?: { receiveOrderEvents: { eventId: string; outcome: 'APPLIED' | 'DUPLICATE' | 'DEFERRED' | 'REJECTED' }[] } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export function httpPublisher(options: { url: string; timeoutMs: number; tokens: Tokens }): EventPublisher {
  const serviceToken = serviceTokenSource(options.tokens, 'notifications');
  return {
    transport: 'http',
    async publish(events) {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await serviceToken()}` },
        body: JSON.stringify({ query: RECEIVE, variables: { events: events.map((event) => JSON.stringify(event)) } }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const reply = (await response.json()) as ReceiveReply;
      const receipts = reply.data?.receiveOrderEvents;
      if (!receipts) throw new Error(`notifications refused the events: ${reply.errors?.[0]?.extensions?.code ?? response.status} ${reply.errors?.[0]?.message ?? ''}`);
      const outcome = new Map(receipts.map((receipt) => [receipt.eventId, receipt.outcome]));
      return events.map((event) => {
        const answer = outcome.get(event.id);
        return answer !== undefined && answer !== 'DEFERRED';
      });
    },
    close: async () => {},
  };
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
      // re-send after a lost acknowledgement is stored once.
      await Promise.all(
        events.map((event) => js.publish(orderSubject(options.stream, event.orderId), JSON.stringify(event), { msgID: event.id, timeout: options.timeoutMs })),
      );
      return events.map(() => true);
    },
    async close() {
      const current = connection;
      connection = undefined;
      await current?.then((open) => open.close(), () => {});
    },
  };
}
