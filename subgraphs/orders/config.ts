// The orders subgraph's settings, read once at start-up.
import { readSubgraphSettings, type SubgraphSettings } from '../../platform/bootstrap.js';
import { envInt, envUrl } from '../../platform/config.js';

export interface OrdersConfig extends SubgraphSettings {
  /** Where the inventory subgraph answers the hidden reservation operations. */
  inventoryUrl: string;
  inventoryTimeoutMs: number;
  /** How often PENDING orders whose reservation is not yet confirmed are retried. */
  confirmSweepMs: number;
  inventoryBreaker: { breakerThreshold: number; halfOpenAfterMs: number };
}

export function readOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  return {
    ...readSubgraphSettings(env, 'orders', 4003),
    inventoryUrl: envUrl(env, 'INVENTORY_URL', ['http:', 'https:']) ?? 'http://localhost:4002/graphql',
    inventoryTimeoutMs: envInt(env, 'INVENTORY_TIMEOUT_MS', 5000, { min: 100, max: 120_000 }),
    inventoryBreaker: {
      breakerThreshold: envInt(env, 'BREAKER_THRESHOLD', 5, { min: 1, max: 1000 }),
      halfOpenAfterMs: envInt(env, 'BREAKER_HALF_OPEN_MS', 5000, { min: 100, max: 600_000 }),
    },
    confirmSweepMs: envInt(env, 'CONFIRM_SWEEP_MS', 5000, { min: 50, max: 3_600_000 }),
  };
}
