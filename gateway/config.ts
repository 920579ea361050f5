// The gateway's settings, read once at start-up.
import { ConfigError, envBool, envInt, envOptional, envString, envUrl, readPlatformConfig, type PlatformConfig } from '../platform/config.js';
import { readMetricsPort } from '../platform/metrics.js';
import { fromRoot } from '../platform/paths.js';
import { parseCidrs, type Cidr } from './clientAddress.js';
import type { SubgraphCallOptions } from './dataSource.js';
import type { PersistedDocumentsMode, PersistedDocumentsSettings } from './persistedDocuments.js';
import type { QueryLimits } from './queryLimits.js';
import type { RateLimitSettings } from './rateLimits.js';
import type { SubscriptionSettings } from './subscriptions/settings.js';

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
  persistedDocuments: PersistedDocumentsSettings;
  subscriptions: SubscriptionSettings;
}

const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'];
const PERSISTED_DOCUMENTS_MODES: PersistedDocumentsMode[] = ['optional', 'required'];

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
      // Identical queries from one caller in flight at once share one fetch (gateway/inFlight.ts).
      dedupe: envBool(env, 'SUBGRAPH_DEDUPE', true),
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
    subscriptions: {
      maxPerConnection: envInt(env, 'SUBSCRIPTIONS_PER_CONNECTION', 50, { min: 1, max: 10_000 }),
      maxPerUser: envInt(env, 'SUBSCRIPTIONS_PER_USER', 100, { min: 1, max: 1_000_000 }),
      initTimeoutMs: envInt(env, 'SUBSCRIPTION_INIT_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
      keepAliveMs: envInt(env, 'SUBSCRIPTION_KEEPALIVE_MS', 12_000, { min: 100, max: 600_000 }),
      maxQueuedEvents: envInt(env, 'SUBSCRIPTION_MAX_QUEUED_EVENTS', 100, { min: 1, max: 100_000 }),
    },
    // Off where a proxy in front compresses already: twice is CPU for nothing.
    compression: envBool(env, 'COMPRESSION', true),
    corsOrigins: (envOptional(env, 'CORS_ORIGINS') ?? '').split(',').map((origin) => origin.trim()).filter(Boolean),
    persistedDocuments: readPersistedDocumentsSettings(env),
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

function readPersistedDocumentsSettings(env: Record<string, string | undefined>): PersistedDocumentsSettings {
  const mode = envString(env, 'PERSISTED_DOCUMENTS', 'optional') as PersistedDocumentsMode;
  if (!PERSISTED_DOCUMENTS_MODES.includes(mode)) {
    throw new ConfigError('PERSISTED_DOCUMENTS', `must be ${PERSISTED_DOCUMENTS_MODES.join(' or ')}, got "${mode}".`);
  }
  const named = envOptional(env, 'PERSISTED_DOCUMENTS_MANIFESTS');
  // By default the storefront's manifest (web/, once built): its operations run by id
  // from their first request, and in safelist mode they are what runs.
  const manifests = named
    ? named.split(',').map((path) => path.trim()).filter(Boolean).map((path) => ({ path, ifPresent: false }))
    : [{ path: fromRoot('web/persisted-query-manifest.json'), ifPresent: true }];
  return { mode, manifests };
}
