// The order events the orders service publishes and the notifications service consumes:
// one versioned envelope, the same bytes over either transport (HTTP on the embedded
// default, NATS JetStream when NATS_URL is set). Producers and consumers share this file,
// never each other's code. README "Order events" documents the schema.
import { ConfigError, envOptional, envString } from './config.js';

/** The envelope's version: a consumer refuses versions it does not know rather than guess. */
export const ORDER_EVENT_VERSION = 1;

export const ORDER_EVENT_TYPES = ['order.placed', 'order.cancelled', 'order.completed'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

export interface OrderEventItem {
  productId: string;
  /** The product's name when the order was placed (order.placed only). */
  name?: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderEvent {
  /** Unique per event: the consumer's idempotency key and JetStream's Nats-Msg-Id. */
  id: string;
  type: OrderEventType;
  version: typeof ORDER_EVENT_VERSION;
  /** When the change was committed in the orders service (ISO-8601). */
  occurredAt: string;
  orderId: string;
  /** 1 for order.placed, 2 for the order's one terminal event: events apply in this order. */
  sequence: number;
  data: {
    userId: string;
    status: 'PENDING' | 'CANCELLED' | 'COMPLETED';
    totalCents: number;
    items: OrderEventItem[];
    /** order.cancelled only, optional: who or what cancelled it (CUSTOMER, ADMIN, EXPIRED, RESERVATION_EXPIRED; more may come). */
    reason?: string;
  };
  /**
   * Optional, W3C trace context (platform/eventTracing.ts): the trace of the request that
   * made the change, so the event's delivery and handling join it. Absent when tracing is off.
   */
  traceparent?: string;
  tracestate?: string;
}

export class InvalidEventError extends Error {
  constructor(problem: string) {
    super(`Not an order event this service understands: ${problem}`);
    this.name = 'InvalidEventError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUSES = new Set(['PENDING', 'CANCELLED', 'COMPLETED']);
const MAX_ITEMS = 100;

/** Parses and checks an envelope received from a transport; throws InvalidEventError. */
export function parseOrderEvent(text: string): OrderEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidEventError('not JSON');
  }
  const event = value as Partial<OrderEvent> | null;
  const check = (ok: boolean, problem: string) => {
    if (!ok) throw new InvalidEventError(problem);
  };
  check(typeof event === 'object' && event !== null, 'not an object');
  check(event!.version === ORDER_EVENT_VERSION, `version ${String(event!.version)} (this service reads ${ORDER_EVENT_VERSION})`);
  check(typeof event!.id === 'string' && UUID.test(event!.id), 'id is not a UUID');
  check(ORDER_EVENT_TYPES.includes(event!.type as OrderEventType), `unknown type ${String(event!.type)}`);
  check(typeof event!.orderId === 'string' && UUID.test(event!.orderId), 'orderId is not a UUID');
  check(Number.isInteger(event!.sequence) && event!.sequence! >= 1, 'sequence is not a positive integer');
  check(typeof event!.occurredAt === 'string' && !Number.isNaN(Date.parse(event!.occurredAt)), 'occurredAt is not a date');
  const data = event!.data;
  check(typeof data === 'object' && data !== null, 'data is missing');
  check(typeof data!.userId === 'string' && UUID.test(data!.userId), 'data.userId is not a UUID');
  check(STATUSES.has(data!.status as string), 'data.status is unknown');
  check(Number.isSafeInteger(data!.totalCents) && data!.totalCents >= 0, 'data.totalCents is not a count of cents');
  check(Array.isArray(data!.items) && data!.items.length <= MAX_ITEMS, 'data.items is not a list');
  // Optional, and open: a reason this consumer does not know yet is still an event it can read.
  check(data!.reason === undefined || (typeof data!.reason === 'string' && /^[A-Z_]{1,64}$/.test(data!.reason)), 'data.reason is not a reason');
  // Only their shape is checked: a wrong one is dropped by the propagator, never an error.
  check(event!.traceparent === undefined || (typeof event!.traceparent === 'string' && event!.traceparent.length <= 128), 'traceparent is not text');
  check(event!.tracestate === undefined || (typeof event!.tracestate === 'string' && event!.tracestate.length <= 512), 'tracestate is not text');
  for (const item of data!.items) {
    check(typeof item?.productId === 'string' && UUID.test(item.productId), 'an item has no productId');
    check(Number.isSafeInteger(item.quantity) && item.quantity > 0, 'an item has no quantity');
    check(Number.isSafeInteger(item.unitPriceCents) && item.unitPriceCents >= 0, 'an item has no price');
    check(item.name === undefined || (typeof item.name === 'string' && item.name.length <= 500), 'an item name is not text');
  }
  return event as OrderEvent;
}

/**
 * The most bytes of events one delivery carries (the relay's batches): half of the
 * notifications service's 1 MiB request limit and of NATS's default 1 MiB max payload,
 * which leaves room for the envelope (the GraphQL document, JSON escaping, headers). An
 * event bigger than this goes alone.
 */
export const MAX_EVENT_BATCH_BYTES = 512 * 1024;

/** JetStream naming: one stream of order events, a subject per order. */
export interface EventStreamSettings {
  natsUrl?: string;
  /** The JetStream stream (NATS_STREAM); its subjects are `<stream>.order.<orderId>`. */
  stream: string;
}

export const orderSubject = (stream: string, orderId: string) => `${stream}.order.${orderId}`;
/** What consumers read: the order events, never the dead letters beside them. */
export const orderSubjects = (stream: string) => `${stream}.order.*`;
/** Where a consumer puts an event it gave up on (in the same stream, kept as long). */
export const deadLetterSubject = (stream: string, orderId: string) => `${stream}.dead.${orderId}`;
export const streamSubjects = (stream: string) => [orderSubjects(stream), `${stream}.dead.*`];

/** NATS_URL (unset: events go over HTTP) and NATS_STREAM, read the same way by both sides. */
export function readEventStreamSettings(env: Record<string, string | undefined>): EventStreamSettings {
  const natsUrl = envOptional(env, 'NATS_URL');
  if (natsUrl && !/^(nats|tls):\/\/[^\s]+$/.test(natsUrl)) throw new ConfigError('NATS_URL', `must be nats://host:port, got "${natsUrl}".`);
  const stream = envString(env, 'NATS_STREAM', 'ORDER_EVENTS');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) throw new ConfigError('NATS_STREAM', 'must be 1 to 64 letters, digits, _ or -.');
  return { natsUrl, stream };
}
