// Boots a subgraph the same way for all of them: open its database, apply its
// migrations, connect Prisma, seed, build the server. Each subgraph's server.ts only
// says what is its own (schema, resolvers, Prisma client, seed data).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { createTokens, type Tokens } from './auth.js';
import { ConfigError, envBool, envInt, envString, envUrl, readPlatformConfig, type PlatformConfig } from './config.js';
import { openDatabase, type Database } from './database.js';
import { fromRoot } from './paths.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, readMetricsPort, type Metrics } from './metrics.js';
import { isUpToDate, migrate } from './migrator.js';
import { readEventStreamSettings } from './events.js';
import { openPubSub, type PubSub } from './pubsub.js';
import { readWorkers } from './service.js';
import { traceResolvers } from './tracedResolvers.js';
import { tracingOn } from './tracing.js';
import { readServiceIdentity, type IdentityRoles, type ServiceIdentity } from './serviceKeys.js';
import type { RunningServer } from './http.js';
import {
  countQueries,
  createSubgraphServer,
  type BaseContext,
  type QueryStats,
  type SubgraphResolvers,
  type SubgraphServer,
} from './subgraph.js';

/** The parts of a generated PrismaClient the platform uses. */
export interface PrismaLike {
  $on(event: 'query', callback: (event: { duration: number }) => void): void;
  $queryRawUnsafe(query: string): Promise<unknown>;
  $disconnect(): Promise<void>;
}

/** What every subgraph reads from the environment, by the naming convention <NAME>_PORT, <NAME>_DATABASE_URL. */
export interface SubgraphSettings {
  platform: PlatformConfig;
  /** Its own key (if it calls others) and the keys of the services that may call it. */
  identity: ServiceIdentity;
  databaseUrl?: string;
  dataDir: string;
  migrationsDir: string;
  /** How long start-up waits for another instance's migration lock (0: no bound). */
  migrationLockTimeoutMs: number;
  port: number;
  host: string;
  /** Where /metrics is served (platform/metrics.ts readMetricsPort). */
  metricsPort: number | null | undefined;
  seedDemoData: boolean;
  /** NATS_URL: live events (subscriptions) fan out through NATS to every instance; unset, in process. */
  natsUrl?: string;
  /** NATS_STREAM: also names this deployment's live subjects, `<stream>.live.<topic>`. */
  natsStream: string;
}

export function readSubgraphSettings(env: Record<string, string | undefined>, name: string, defaultPort: number, roles: IdentityRoles = {}): SubgraphSettings {
  const prefix = name.toUpperCase();
  const databaseUrl = envUrl(env, `${prefix}_DATABASE_URL`, ['postgres:', 'postgresql:']);
  // The embedded database lives inside one process; workers need a shared server.
  if (!databaseUrl && readWorkers(env) > 1) throw new ConfigError('WORKERS', `above 1 needs ${prefix}_DATABASE_URL: the embedded PGlite belongs to one process.`);
  const platform = readPlatformConfig(env);
  return {
    platform,
    identity: readServiceIdentity(env, name, roles, platform.production),
    port: envInt(env, `${prefix}_PORT`, defaultPort, { max: 65535 }),
    metricsPort: readMetricsPort(env, `${prefix}_METRICS_PORT`, platform.production),
    host: envString(env, 'HOST', '127.0.0.1'),
    databaseUrl,
    dataDir: path.resolve(envString(env, 'DATA_DIR', fromRoot('data')), name),
    migrationsDir: fromRoot(`prisma/${name}/migrations`),
    migrationLockTimeoutMs: envInt(env, 'MIGRATION_LOCK_TIMEOUT_MS', 60_000, { max: 3_600_000 }),
    // Demo data belongs to the embedded default; a PostgreSQL deployment asks for it.
    seedDemoData: envBool(env, 'SEED_DEMO_DATA', !databaseUrl),
    natsUrl: readEventStreamSettings(env).natsUrl,
    natsStream: readEventStreamSettings(env).stream,
  };
}

export interface SubgraphDefinition<TPrisma extends PrismaLike, TContext extends BaseContext> {
  name: string;
  schemaFile: string;
  resolvers: SubgraphResolvers;
  /** Resolvers that get a span of their own when tracing is on ("Mutation.placeOrder"; platform/tracedResolvers.ts). */
  tracedFields?: readonly string[];
  createPrisma(adapter: Database['adapter']): TPrisma;
  createContext(shared: { prisma: TPrisma; tokens: Tokens; metrics: Metrics; pubsub: PubSub; log: Logger }): (base: BaseContext) => TContext;
  seed?(prisma: TPrisma, log: Logger): Promise<void>;
  /** Work the subgraph does on its own while it runs (sweepers); returns how to stop it. */
  background?(prisma: TPrisma, log: Logger, shared: { pubsub: PubSub }): () => Promise<void>;
  /** Releases what the definition opened itself (a Redis connection…), once the server has stopped. */
  close?(): Promise<void>;
}

export interface SubgraphService<TPrisma, TContext extends BaseContext> {
  name: string;
  server: SubgraphServer<TContext>;
  prisma: TPrisma;
  database: Database;
  tokens: Tokens;
  stats: QueryStats;
  metrics: Metrics;
  /** Where this subgraph's live events (subscriptions) are published and heard. */
  pubsub: PubSub;
  /** Listens on `port` (0 picks a free one); defaults to the configured port and host. */
  listen(port?: number, host?: string): Promise<RunningServer>;
  /** Stops listening (in-flight requests finish), disconnects Prisma and closes the database. */
  stop(): Promise<void>;
}

export async function bootSubgraph<TPrisma extends PrismaLike, TContext extends BaseContext>(
  definition: SubgraphDefinition<TPrisma, TContext>,
  settings: SubgraphSettings,
  options: { database?: Database; log?: Logger; metrics?: Metrics; pubsub?: PubSub } = {},
): Promise<SubgraphService<TPrisma, TContext>> {
  const log = options.log ?? createLogger(definition.name, settings.platform.logLevel);
  const metrics = options.metrics ?? createMetrics(definition.name);
  const pubsub = options.pubsub ?? openPubSub({ url: settings.natsUrl, stream: settings.natsStream }, definition.name, log);
  const database = options.database ?? (await openDatabase({ url: settings.databaseUrl, dataDir: settings.dataDir, applicationName: definition.name }));
  try {
    const applied = await migrate(database, settings.migrationsDir, {
      lockTimeoutMs: settings.migrationLockTimeoutMs,
      onApplying: (name) => log.info({ migration: name, database: database.location }, 'applying migration'),
    });
    if (applied.length > 0) log.info({ applied, database: database.location }, 'migrations applied');

    const prisma = definition.createPrisma(database.adapter);
    const stats = countQueries(prisma, metrics);
    await definition.seed?.(prisma, log);

    const tokens = createTokens(settings.platform, settings.identity);
    let migrated = false;
    const server = createSubgraphServer<TContext>({
      name: definition.name,
      typeDefs: parse(readFileSync(definition.schemaFile, 'utf8')),
      resolvers: traceResolvers(definition.resolvers, definition.tracedFields ?? [], tracingOn()),
      platform: settings.platform,
      log,
      tokens,
      createContext: definition.createContext({ prisma, tokens, metrics, pubsub, log }),
      metrics,
      metricsPort: settings.metricsPort,
      async ready() {
        await prisma.$queryRawUnsafe('SELECT 1');
        // Subscribers must hear every change committed from now on.
        if (!(await pubsub.ready())) return false;
        // Once every migration is seen applied it stays so for this process's life.
        migrated ||= await isUpToDate(database, settings.migrationsDir);
        return migrated;
      },
    });

    const stopBackground = definition.background?.(prisma, log, { pubsub });
    let running: RunningServer | undefined;
    return {
      name: definition.name,
      server,
      prisma,
      database,
      tokens,
      stats,
      metrics,
      pubsub,
      async listen(port = settings.port, host = settings.host) {
        running = await server.listen(port, host);
        return running;
      },
      async stop() {
        await stopBackground?.();
        if (running) await running.close(settings.platform.shutdownGraceMs);
        else await server.apollo.stop();
        await definition.close?.();
        await pubsub.close();
        await prisma.$disconnect();
        await database.close();
      },
    };
  } catch (error) {
    await pubsub.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}
