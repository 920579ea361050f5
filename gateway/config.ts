// The gateway's settings, read once at start-up.
import { ConfigError, envBool, envInt, envOptional, envString, envUrl, readPlatformConfig, type PlatformConfig } from '../platform/config.js';
import { readMetricsPort } from '../platform/metrics.js';
import { fromRoot } from '../platform/paths.js';
import { parseCidrs, type Cidr } from './clientAddress.js';
import type { SubgraphCallOptions } from './dataSource.js';
import type { QueryLimits } from './queryLimits.js';
import type { RateLimitSettings } from './rateLimits.js';

export interface GatewayConfig {
  platform: PlatformConfig;
  port: number;
  host: string;
  /** Where /metrics is served (platform/metrics.ts readMetricsPort). */
  metricsPort: number | null | undefined;
  /** Proxies whose X-Forwarded-For is believed (gateway/clientAddress.ts). */
  trustedProxies: Cidr[];
  supergraphPath: string;
  /** Per-subgraph URL overrides of supergraph.yaml's routing_url (by subgraph name). */
  subgraphUrls: Record<string, string>;
  /** Browser origins allowed besides Apollo Sandbox and localhost. */
  corsOrigins: string[];
  /** Whether answers of 1 KB and more are gzipped for clients that accept it. */
  compression: boolean;
  subgraphCalls: SubgraphCallOptions;
  queryLimits: QueryLimits;
  rateLimits: RateLimitSettings;
}

const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'];

export function readGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPHS) {
    const url = envUrl(env, `${name.toUpperCase()}_URL`, ['http:', 'https:']);
    if (url) subgraphUrls[name] = url;
  }
  const platform = readPlatformConfig(env);
  return {
    platform,
    port: envInt(env, 'GATEWAY_PORT', 4000, { max: 65535 }),
    host: envString(env, 'HOST', '127.0.0.1'),
    metricsPort: readMetricsPort(env, 'GATEWAY_METRICS_PORT', platform.production),
    trustedProxies: readTrustedProxies(env),
    supergraphPath: envString(env, 'SUPERGRAPH_PATH', fromRoot('supergraph.graphql')),
    subgraphUrls,
    subgraphCalls: {
      requestTimeoutMs: readRequestTimeout(env),
      retries: envInt(env, 'SUBGRAPH_QUERY_RETRIES', 2, { min: 0, max: 10 }),
      breakerThreshold: envInt(env, 'BREAKER_THRESHOLD', 5, { min: 1, max: 1000 }),
      halfOpenAfterMs: envInt(env, 'BREAKER_HALF_OPEN_MS', 5000, { min: 100, max: 600_000 }),
    },
    queryLimits: {
      maxDepth: envInt(env, 'QUERY_MAX_DEPTH', 8, { min: 2, max: 100 }),
      maxAliases: envInt(env, 'QUERY_MAX_ALIASES', 15, { min: 1, max: 1000 }),
      maxTokens: envInt(env, 'QUERY_MAX_TOKENS', 2000, { min: 50, max: 100_000 }),
      maxCost: envInt(env, 'QUERY_MAX_COST', 20_000, { min: 10, max: 1_000_000 }),
      maxDirectives: envInt(env, 'QUERY_MAX_DIRECTIVES', 50, { min: 1, max: 1000 }),
    },
    rateLimits: {
      perIpPerMinute: envInt(env, 'RATE_LIMIT_PER_IP', 1200, { max: 1_000_000 }),
      perUserPerMinute: envInt(env, 'RATE_LIMIT_PER_USER', 600, { max: 1_000_000 }),
      failedLoginsPerIp: envInt(env, 'LOGIN_FAILURES_PER_IP', 50, { max: 1_000_000 }),
      signUpsPerIp: envInt(env, 'SIGNUPS_PER_IP', 20, { max: 1_000_000 }),
      signInsInFlightPerIp: envInt(env, 'SIGN_IN_CONCURRENCY_PER_IP', 2, { max: 10_000 }),
    },
    // Off where a proxy in front compresses already: twice is CPU for nothing.
    compression: envBool(env, 'COMPRESSION', true),
    corsOrigins: (envOptional(env, 'CORS_ORIGINS') ?? '').split(',').map((origin) => origin.trim()).filter(Boolean),
  };
}

function readTrustedProxies(env: Record<string, string | undefined>): Cidr[] {
  // TRUST_PROXY_HOPS believed X-Forwarded-For from whoever sent it; a deployment that set
  // it is told what replaced it rather than silently left counting its proxy as the client.
  const hops = envInt(env, 'TRUST_PROXY_HOPS', 0, { max: 10 });
  if (hops > 0) {
    throw new ConfigError(
      'TRUST_PROXY_HOPS',
      'is replaced by TRUSTED_PROXIES: list the addresses of the proxies in front of the gateway (comma-separated, CIDRs allowed, e.g. TRUSTED_PROXIES=10.0.0.0/8), and unset TRUST_PROXY_HOPS. X-Forwarded-For is now believed only from those addresses.',
    );
  }
  try {
    return parseCidrs(envOptional(env, 'TRUSTED_PROXIES') ?? '');
  } catch (error) {
    throw new ConfigError('TRUSTED_PROXIES', (error as Error).message);
  }
}

/**
 * The whole budget of one request, every subgraph call and retry included (each call gets
 * what is left, docs/deadlines.md). REQUEST_TIMEOUT_MS; SUBGRAPH_TIMEOUT_MS, its name
 * before budgets flowed downstream (when it bounded each call alone), is still read.
 */
function readRequestTimeout(env: Record<string, string | undefined>): number {
  const range = { min: 100, max: 300_000 };
  if (envOptional(env, 'SUBGRAPH_TIMEOUT_MS') === undefined) return envInt(env, 'REQUEST_TIMEOUT_MS', 10_000, range);
  if (envOptional(env, 'REQUEST_TIMEOUT_MS') !== undefined) {
    throw new ConfigError('SUBGRAPH_TIMEOUT_MS', 'is the old name of REQUEST_TIMEOUT_MS; set only REQUEST_TIMEOUT_MS.');
  }
  return envInt(env, 'SUBGRAPH_TIMEOUT_MS', 10_000, range);
}
