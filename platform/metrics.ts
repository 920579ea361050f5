// Prometheus metrics for one service, served at /metrics. One registry per service
// instance (not prom-client's global one), so tests can run several services in one process.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
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
