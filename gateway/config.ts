// The gateway's settings, read once at start-up.
import { envInt, envOptional, envString, envUrl, readPlatformConfig, type PlatformConfig } from '../platform/config.js';
import { fromRoot } from '../platform/paths.js';
import type { SubgraphCallOptions } from './dataSource.js';

export interface GatewayConfig {
  platform: PlatformConfig;
  port: number;
  host: string;
  supergraphPath: string;
  /** Per-subgraph URL overrides of supergraph.yaml's routing_url (by subgraph name). */
  subgraphUrls: Record<string, string>;
  /** Browser origins allowed besides Apollo Sandbox and localhost. */
  corsOrigins: string[];
  subgraphCalls: SubgraphCallOptions;
}

const SUBGRAPHS = ['users', 'inventory', 'orders'];

export function readGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPHS) {
    const url = envUrl(env, `${name.toUpperCase()}_URL`, ['http:', 'https:']);
    if (url) subgraphUrls[name] = url;
  }
  return {
    platform: readPlatformConfig(env),
    port: envInt(env, 'GATEWAY_PORT', 4000, { max: 65535 }),
    host: envString(env, 'HOST', '127.0.0.1'),
    supergraphPath: envString(env, 'SUPERGRAPH_PATH', fromRoot('supergraph.graphql')),
    subgraphUrls,
    subgraphCalls: {
      timeoutMs: envInt(env, 'SUBGRAPH_TIMEOUT_MS', 10_000, { min: 100, max: 300_000 }),
      retries: envInt(env, 'SUBGRAPH_QUERY_RETRIES', 2, { min: 0, max: 10 }),
      breakerThreshold: envInt(env, 'BREAKER_THRESHOLD', 5, { min: 1, max: 1000 }),
      halfOpenAfterMs: envInt(env, 'BREAKER_HALF_OPEN_MS', 5000, { min: 100, max: 600_000 }),
    },
    corsOrigins: (envOptional(env, 'CORS_ORIGINS') ?? '').split(',').map((origin) => origin.trim()).filter(Boolean),
  };
}
