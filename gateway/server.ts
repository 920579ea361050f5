// Builds the gateway: Apollo Gateway on the static supergraph from `npm run compose`.
import { readFile } from 'node:fs/promises';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway } from '@apollo/gateway';
import { createTokens } from '../platform/auth.js';
import { ConfigError } from '../platform/config.js';
import { Deadline } from '../platform/deadline.js';
import { createErrorFormatter, ErrorCode } from '../platform/errors.js';
import { serveHttp, stringifyResult, type RunningServer } from '../platform/http.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { createMetrics } from '../platform/metrics.js';
import { storableStringsPlugin } from '../platform/inputHygiene.js';
import { operationResolutionPlugin } from '../platform/operationResolution.js';
import { createRateLimitStore } from '../platform/rateLimit.js';
import { requestLogPlugin } from '../platform/requestLog.js';
import { tracingOn } from '../platform/tracing.js';
import { tracingPlugin } from '../platform/tracingPlugin.js';
import { TrustedProxies } from './clientAddress.js';
import type { GatewayConfig } from './config.js';
import { createGatewayContext, type GatewayContext } from './context.js';
import { corsPolicy } from './cors.js';
import { SubgraphDataSource } from './dataSource.js';
import { fetchesSavedCounter } from './inFlight.js';
import { loadPersistedDocuments } from './persistedDocuments.js';
import { jsonClientStatusPlugin } from './responseStatus.js';
import { createSubgraphFetcher } from './subgraphFetcher.js';
import { queryLimitRules } from './queryLimits.js';
import { createGatewayLimits } from './rateLimits.js';
import { createGatewaySubscriptions, type GatewaySubscriptions } from './subscriptions/transport.js';

// Below about 1 KB gzip's own framing and the CPU outweigh the bytes saved.
const COMPRESS_FROM_CHARS = 1024;

export interface Gateway {
  apollo: ApolloServer<GatewayContext>;
  /** Subscriptions over WebSocket and SSE; set once listening. */
  subscriptions?: GatewaySubscriptions;
  listen(port?: number, host?: string): Promise<RunningServer>;
  stop(): Promise<void>;
}

export async function createGateway(config: GatewayConfig, options: { supergraphSdl?: string; log?: Logger } = {}): Promise<Gateway> {
  const log = options.log ?? createLogger('gateway', config.platform.logLevel);
  const metrics = createMetrics('gateway');
  const supergraphSdl = options.supergraphSdl ?? (await readSupergraph(config.supergraphPath));
  const fetcher = createSubgraphFetcher({ connectTimeoutMs: config.subgraphCalls.requestTimeoutMs });
  const fetchesSaved = fetchesSavedCounter(metrics.registry);
  // Kept by name: subscriptions complete their events through the same data sources.
  const dataSources: Record<string, SubgraphDataSource> = {};
  // Left to itself, @apollo/gateway reports usage metrics to Apollo's servers and, at every
  // start, probes the AWS, GCP, Azure and Alibaba metadata endpoints to label them. A
  // self-hosted supergraph sends nothing anywhere its operator did not configure, and its
  // start waits on no cloud: APOLLO_TELEMETRY_DISABLED, Apollo's only switch for it, is
  // set unless the operator set it (docs/configuration.md).
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      (dataSources[name] = new SubgraphDataSource(name, config.subgraphUrls[name] ?? url!, config.subgraphCalls, metrics, fetcher, fetchesSaved)),
    logger: log,
  });
  const production = config.platform.production;
  const store = createRateLimitStore({ redisUrl: config.platform.redisUrl, keyPrefix: config.platform.redisKeyPrefix });
  await store.connected();
  const limits = createGatewayLimits(config.rateLimits, store);
  const queryLimits = queryLimitRules(config.queryLimits, production);
  const persistedDocuments = await loadPersistedDocuments(config.persistedDocuments, () =>
    metrics.errors.inc({ code: ErrorCode.PersistedQueryNotInList }),
  );
  log.info({ mode: config.persistedDocuments.mode, documents: persistedDocuments.count }, 'persisted documents loaded');
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !production,
    validationRules: queryLimits.validationRules,
    parseOptions: queryLimits.parseOptions,
    // Stated, though they are Apollo Server's defaults: one operation per request, and
    // no simple (CSRF-able) GET or form POST without a header a browser form cannot set.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Shutdown is ours (platform/service.ts): Apollo's own signal handler would race it.
    stopOnTerminationSignals: false,
    stringifyResult,
    includeStacktraceInErrorResponses: !production,
    formatError: createErrorFormatter({ production, onUnexpected: (error) => log.error({ err: error }, 'unexpected error') }),
    plugins: [
      persistedDocuments.plugin as ApolloServerPlugin<GatewayContext>,
      ...(queryLimits.plugins as ApolloServerPlugin<GatewayContext>[]),
      operationResolutionPlugin<GatewayContext>(),
      limits.signInPlugin,
      storableStringsPlugin<GatewayContext>(),
      // Before the request log, which records the status sent.
      jsonClientStatusPlugin<GatewayContext>(),
      requestLogPlugin<GatewayContext>(log, metrics),
      ...(tracingOn() ? [tracingPlugin<GatewayContext>()] : []),
      // No HTTP cache in front of the gateway reads cache hints (platform/subgraph.ts).
      ApolloServerPluginCacheControlDisabled(),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
  // No service identity: the gateway calls no hidden operation, and takes no service token.
  const tokens = createTokens(config.platform, null);
  const trustedProxies = new TrustedProxies(config.trustedProxies);
  const formatError = createErrorFormatter({ production, onUnexpected: (error) => log.error({ err: error }, 'unexpected error in a subscription') });
  let running: RunningServer | undefined;
  const served: Gateway = {
    apollo,
    async listen(port = config.port, host = config.host) {
      const subscriptions = createGatewaySubscriptions({
        supergraphSdl,
        settings: config.subscriptions,
        tokens,
        limits,
        trustedProxies,
        parseOptions: queryLimits.parseOptions,
        validationRules: queryLimits.validationRules,
        apollo,
        documents: persistedDocuments,
        services: () => dataSources,
        format: formatError,
        log,
      });
      served.subscriptions = subscriptions;
      running = await serveHttp(
        {
          apollo,
          log,
          context: async (info) => {
            // The budget starts when the request arrives: checking the token and the limits spend it too.
            const deadline = new Deadline(config.subgraphCalls.requestTimeoutMs);
            const context = Object.assign(await createGatewayContext(tokens, limits, trustedProxies, info), { deadline });
            persistedDocuments.admit(info);
            return context;
          },
          ready: async () => true,
          corsOrigin: corsPolicy({ production, extraOrigins: config.corsOrigins }),
          compressFrom: config.compression ? COMPRESS_FROM_CHARS : undefined,
          metrics: metrics.registry,
          live: subscriptions,
          metricsPort: config.metricsPort,
        },
        port,
        host,
      );
      return running;
    },
    async stop() {
      if (running) await running.close(config.platform.shutdownGraceMs);
      else await apollo.stop();
      await store.close();
      await fetcher.close();
    },
  };
  return served;
}

async function readSupergraph(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new ConfigError('SUPERGRAPH_PATH', `points at ${file}, which cannot be read; run \`npm run compose\` to build it.`);
  }
}
