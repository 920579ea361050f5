// The orders subgraph's settings, read once at start-up.
import { readSubgraphSettings, type SubgraphSettings } from '../../platform/bootstrap.js';
import { ConfigError, envInt, envOptional, envUrl } from '../../platform/config.js';
import { readEventStreamSettings, type EventStreamSettings } from '../../platform/events.js';

export interface OrdersConfig extends SubgraphSettings {
  /** Where the inventory subgraph answers the hidden reservation operations. */
  inventoryUrl: string;
  /** How often the order sweeper runs: confirming reservations not yet confirmed, expiring PENDING orders past their TTL. */
  confirmSweepMs: number;
  /** How long an order may stay PENDING (holding its stock) before the sweeper cancels it. */
  pendingOrderTtlSeconds: number;
  /** What one customer may hold at once; 0 turns a cap off. */
  pendingCaps: PendingCaps;
  inventoryBreaker: { breakerThreshold: number; halfOpenAfterMs: number };
  /** Where order events go on the embedded default (the notifications subgraph's hidden operation). */
  notificationsUrl: string;
  /** How long a delivery of events may take before the relay gives up and retries. */
  eventsTimeoutMs: number;
  /** How often the outbox relay looks for undelivered events; 0: not in this process. */
  outboxRelayMs: number;
  /** Deliveries refused on an event's own account before it is parked in outbox_dead_letters. */
  outboxMaxAttempts: number;
  /** The wait after an event's first refused delivery; each further one doubles. */
  outboxRetryBaseMs: number;
  events: EventStreamSettings;
}

export interface PendingCaps {
  /** PENDING orders per customer. */
  orders: number;
  /** Units across a customer's PENDING orders. */
  units: number;
}

export function readOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  // Orders calls inventory (reservations) and notifications (order events over HTTP).
  // Calls to inventory take their time from the request's budget now (docs/deadlines.md).
  if (envOptional(env, 'INVENTORY_TIMEOUT_MS') !== undefined) {
    throw new ConfigError('INVENTORY_TIMEOUT_MS', 'is no longer read: calls to inventory get what is left of the request budget (REQUEST_TIMEOUT_MS at the gateway). Unset it.');
  }
  return {
    ...readSubgraphSettings(env, 'orders', 4003, { signs: true }),
    inventoryUrl: envUrl(env, 'INVENTORY_URL', ['http:', 'https:']) ?? 'http://localhost:4002/graphql',
    pendingOrderTtlSeconds: envInt(env, 'PENDING_ORDER_TTL_SECONDS', 1800, { min: 1, max: 30 * 24 * 3600 }),
    pendingCaps: {
      orders: envInt(env, 'PENDING_ORDERS_PER_CUSTOMER', 10, { max: 1_000_000 }),
      units: envInt(env, 'PENDING_UNITS_PER_CUSTOMER', 1000, { max: 1_000_000_000 }),
    },
    inventoryBreaker: {
      breakerThreshold: envInt(env, 'BREAKER_THRESHOLD', 5, { min: 1, max: 1000 }),
      halfOpenAfterMs: envInt(env, 'BREAKER_HALF_OPEN_MS', 5000, { min: 100, max: 600_000 }),
    },
    confirmSweepMs: envInt(env, 'CONFIRM_SWEEP_MS', 5000, { min: 50, max: 3_600_000 }),
    notificationsUrl: envUrl(env, 'NOTIFICATIONS_URL', ['http:', 'https:']) ?? 'http://localhost:4004/graphql',
    eventsTimeoutMs: envInt(env, 'EVENTS_TIMEOUT_MS', 5000, { min: 100, max: 120_000 }),
    outboxRelayMs: envInt(env, 'OUTBOX_RELAY_MS', 1000, { min: 0, max: 3_600_000 }),
    outboxMaxAttempts: envInt(env, 'OUTBOX_MAX_ATTEMPTS', 10, { min: 1, max: 1000 }),
    outboxRetryBaseMs: envInt(env, 'OUTBOX_RETRY_BASE_MS', 1000, { min: 10, max: 3_600_000 }),
    events: readEventStreamSettings(env),
  };
}
