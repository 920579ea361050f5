// Prometheus metrics for one service, served at /metrics. One registry per service
// instance (not prom-client's global one), so tests can run several services in one process.
// Under cluster workers (WORKERS > 1) a scrape reaches one worker, which asks the primary
// for every worker's figures added up, so /metrics describes the whole service.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { envInt, envOptional } from './config.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  if (cluster.isWorker) {
    // Constructing one is what makes prom-client answer the primary's requests in a worker.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  return {
    registry,
    requests: new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL requests by operation name and outcome (ok or error)',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({ name: 'graphql_errors_total', help: 'Errors sent to clients, by code', labelNames: ['code'], registers: [registry] }),
    dbQueries: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'SQL statements sent by Prisma',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    loaderBatches: new Histogram({
      name: 'dataloader_batch_size',
      help: 'Keys per DataLoader batch',
      labelNames: ['loader'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    upstreamCalls: new Histogram({
      name: 'upstream_call_duration_seconds',
      help: 'Calls to another service (gateway to subgraphs, orders to inventory), by target and outcome',
      labelNames: ['target', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'circuit_breaker_open',
      help: '1 while the circuit to a target is open or half-open, 0 when closed',
      labelNames: ['target'],
      registers: [registry],
    }),
  };
}

/**
 * A gauge read from the database when /metrics is scraped (a backlog, a queue length);
 * nothing is read while `read` answers undefined (not started, or stopped). With cluster
 * workers every worker reads the same table, so the cluster's figure is the largest, not
 * the sum; -1 says the read failed.
 */
export function scrapeTimeGauge(metrics: Metrics, name: string, help: string, read: () => Promise<number> | undefined): void {
  new Gauge({
    name,
    help,
    aggregator: 'max',
    registers: [metrics.registry],
    async collect() {
      const value = read();
      if (value) this.set(await value.catch(() => -1));
    },
  });
}

/**
 * Where a service serves /metrics, from `<NAME>_METRICS_PORT`: that port when set (0 picks a
 * free one). Unset, development keeps /metrics on the service's own port (undefined) and
 * production serves it nowhere (null): a scrape names every operation, error rate and
 * upstream, which is for operators, not for whoever reaches the public port.
 */
export function readMetricsPort(env: Record<string, string | undefined>, variable: string, production: boolean): number | null | undefined {
  if (envOptional(env, variable) === undefined) return production ? null : undefined;
  return envInt(env, variable, 0, { max: 65535 });
}

const ASK = 'supergraph:metrics?';
const ANSWER = 'supergraph:metrics';

/** The text a scrape of this process answers: its own registry, or the cluster's sum. */
export function metricsText(registry: Registry): Promise<string> {
  if (!cluster.isWorker) return registry.metrics();
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer with metrics'));
    }, 5000);
    const onMessage = (message: { type?: string; id?: string; text?: string }) => {
      if (message?.type !== ANSWER || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(message.text ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: ASK, id });
  });
}

/** In a cluster primary: answers workers' requests for the whole cluster's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: string }) => {
    if (message?.type !== ASK) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: message.id, text }),
      (error: unknown) => worker.send({ type: ANSWER, id: message.id, text: `# metrics unavailable: ${String(error)}\n` }),
    );
  });
}
