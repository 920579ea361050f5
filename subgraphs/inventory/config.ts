// The inventory subgraph's settings, read once at start-up.
import { readSubgraphSettings, type SubgraphSettings } from '../../platform/bootstrap.js';
import { envInt } from '../../platform/config.js';

export interface InventoryConfig extends SubgraphSettings {
  /** How long stock stays held for an order the orders service has not confirmed. */
  reservationTtlSeconds: number;
  /** How long a reservation may wait for a database connection, and for a locked row, before answering "busy". */
  reservationMaxWaitMs: number;
  /** How often expired reservations are looked for. */
  reservationSweepMs: number;
}

export function readInventoryConfig(env: Record<string, string | undefined> = process.env): InventoryConfig {
  // Only the orders service holds and settles stock.
  return {
    ...readSubgraphSettings(env, 'inventory', 4002, { acceptsCallsFrom: ['orders'] }),
    reservationTtlSeconds: envInt(env, 'RESERVATION_TTL_SECONDS', 120, { min: 1, max: 24 * 3600 }),
    // Well inside the 8.1 s a reservation gets from the gateway's default budget (docs/deadlines.md).
    reservationMaxWaitMs: envInt(env, 'RESERVATION_MAX_WAIT_MS', 2000, { min: 1, max: 120_000 }),
    reservationSweepMs: envInt(env, 'RESERVATION_SWEEP_MS', 5000, { min: 50, max: 3_600_000 }),
  };
}
