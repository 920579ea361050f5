// What every subgraph server has in common: the federated schema, who the caller is,
// error masking, the HTTP endpoints, SQL statement counting and a clean stop.
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode } from 'graphql';
import { bearerToken, InvalidTokenError, type Caller, type Tokens } from './auth.js';
import type { PlatformConfig } from './config.js';
import { BUDGET_HEADER, Deadline, DEFAULT_BUDGET_MS } from './deadline.js';
import { createErrorFormatter, refusingRequest, unauthenticated } from './errors.js';
import type { Logger } from './logger.js';
import { serveHttp, stringifyResult, type RequestInfo, type RunningServer } from './http.js';
import type { Metrics } from './metrics.js';
import { entityRepresentationsPlugin, storableStringsPlugin } from './inputHygiene.js';
import { operationResolutionPlugin } from './operationResolution.js';
import { requestLogPlugin } from './requestLog.js';
import { tracingOn } from './tracing.js';
import { tracingPlugin } from './tracingPlugin.js';
import { subgraphSubscriptions } from './subscriptionServer.js';

/**
 * A subgraph's resolver map. Each subgraph types its own with the `Resolvers` generated
 * from its schema.graphql (scripts/codegen.config.mjs), which checks every parent, argument
 * and result against the schema; here the map is only handed to buildSubgraphSchema.
 */
export type SubgraphResolvers = Record<string, unknown>;

/** What every subgraph's context carries; each subgraph adds its loaders and clients. */
export interface BaseContext {
  caller: Caller | null;
  requestId: string;
  log: Logger;
  /** When this request's caller stops waiting: from its BUDGET_HEADER, or the default budget. */
  deadline: Deadline;
  /** When the caller's token expires (ms): a subscription checks it at every event. */
  expiresAt?: number;
}

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers;
  platform: PlatformConfig;
  log: Logger;
  tokens: Tokens;
  /** Adds the per-request parts (loaders above all) to the base context. */
  createContext(base: BaseContext): TContext;
  ready(): Promise<boolean>;
  metrics: Metrics;
  /** Where /metrics is served (see HttpOptions.metricsPort). */
  metricsPort?: number | null;
}

export interface SubgraphServer<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds a context as an HTTP request would, for executeOperation in tests (the default budget unless one is given). */
  contextFor(caller: Caller | null, deadline?: Deadline): TContext;
  listen(port: number, host?: string): Promise<RunningServer>;
}

export function createSubgraphServer<TContext extends BaseContext>(options: SubgraphServerOptions<TContext>): SubgraphServer<TContext> {
  const { platform, log } = options;
  const schema = buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const apollo = new ApolloServer<TContext>({
    schema,
    introspection: !platform.production,
    // Shutdown is ours (platform/service.ts): Apollo's own signal handler would race it.
    stopOnTerminationSignals: false,
    stringifyResult,
    includeStacktraceInErrorResponses: !platform.production,
    formatError: createErrorFormatter({
      production: platform.production,
      onUnexpected: (error) => log.error({ err: error }, 'unexpected error in a resolver'),
    }),
    // Inline traces are for Apollo Studio, which we do not report to, and cache hints
    // for an HTTP cache we do not have: either plugin wraps every field's resolver
    // (the cache hints cost 2-3 % of a subgraph's CPU), so both are off.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      operationResolutionPlugin<TContext>(),
      storableStringsPlugin<TContext>(),
      entityRepresentationsPlugin<TContext>(schema),
      requestLogPlugin<TContext>(log, options.metrics),
      ...(tracingOn() ? [tracingPlugin<TContext>()] : []),
      ...(platform.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });

  const contextFor = (caller: Caller | null, requestId = 'local', deadline = new Deadline(DEFAULT_BUDGET_MS), expiresAt?: number) =>
    options.createContext({ caller, requestId, log: log.child({ requestId }), deadline, expiresAt });
  // A subgraph with Subscription fields serves them to the gateway over WebSocket. A
  // subscription has no request budget of its own: each event's work gets the default one.
  const live = schema.getSubscriptionType()
    ? () =>
        subgraphSubscriptions({
          schema,
          tokens: options.tokens,
          production: platform.production,
          log,
          contextFor: (caller, requestId, expiresAt) => contextFor(caller, requestId, new Deadline(DEFAULT_BUDGET_MS), expiresAt),
        })
    : undefined;

  async function contextFromRequest({ request, requestId }: RequestInfo): Promise<TContext> {
    // Counted from here, on this host's clock: the header is relative, so clock skew between hosts does not matter.
    const deadline = Deadline.fromHeader(request.headers[BUDGET_HEADER]);
    let caller: Caller | null = null;
    try {
      const token = bearerToken(request.headers.authorization);
      if (token) caller = await options.tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw refusingRequest(unauthenticated(error.message), 401);
      throw error;
    }
    return contextFor(caller, requestId, deadline);
  }

  return {
    apollo,
    contextFor: (caller, deadline) => contextFor(caller, undefined, deadline),
    listen: (port, host) =>
      serveHttp({ apollo, context: contextFromRequest, ready: options.ready, log, metrics: options.metrics.registry, metricsPort: options.metricsPort, live: live?.() }, port, host),
  };
}

/** Counts the SQL statements a Prisma client sends: tests assert exact counts per request. */
export interface QueryStats {
  statements: number;
}

export function countQueries(prisma: { $on(event: 'query', callback: (event: { duration: number }) => void): void }, metrics: Metrics): QueryStats {
  const stats = { statements: 0 };
  prisma.$on('query', (event) => {
    stats.statements += 1;
    metrics.dbQueries.observe(event.duration / 1000);
  });
  return stats;
}
