// Jest runs the compiled tests (dist/tests, `npm run compile` makes them).
//
// CI runs the suite twice: on the embedded default (PGlite), then with TEST_POSTGRES_URL,
// TEST_REDIS_URL and TEST_NATS_URL set. The files listed below would run exactly the same
// way twice, because nothing in them reaches PostgreSQL, Redis or NATS: their services are
// real processes on their embedded default, or a lone gateway, or they read the repository.
// So they run in the embedded phase only. The multi-host rehearsal brings a PostgreSQL of
// its own and takes minutes, so it runs in the PostgreSQL phase only (`npm run
// test:postgres`). docs/testing.md says the same for a reader.
const EMBEDDED_PHASE_ONLY = [
  'adminSeed', 'auth', 'composition', 'config', 'connectTimeouts', 'docs', 'httpAudit', 'kubernetes', 'logFormat',
  'observability', 'persistedDocuments', 'processes', 'schemaGuard', 'secrets', 'serviceKeys', 'shutdown',
  'signInBurst', 'start', 'storefront', 'subgraphFetcher', 'subscriptionFaults', 'telemetry',
];
const POSTGRES_PHASE_ONLY = ['rehearsal'];

// CI's embedded phase (TEST_PHASE=embedded, set by .ci/run) also leaves out these: the
// PostgreSQL phase runs them right after, against PostgreSQL with Redis and NATS, and
// what they test is the gateway's or a service's logic (limits, breakers, budgets,
// authorization of tokens, events' routes), which no database engine changes. Run twice,
// they cost CI ten minutes of a busy 2-core machine for nothing new. `npm test` on its own
// runs them on PGlite as ever. What stays in both phases is what an engine can change:
// migrations, SQL counts, locking and concurrency, the orders/stock saga, each subgraph's
// queries and the event intake.
const COVERED_BY_POSTGRES_PHASE = [
  'breaker', 'deadLettersCli', 'emailChannel', 'faults', 'fetchDedupe', 'forgedTokens', 'gatewayBudget',
  'hostile', 'hostileClients', 'limits', 'notificationFlow', 'outboxMetrics', 'proxies', 'signIn',
  'smsChannel', 'subscriptions', 'tracing', 'userDirectory',
];

const onPostgres = Boolean(process.env.TEST_POSTGRES_URL);
const notInThisPhase = onPostgres
  ? EMBEDDED_PHASE_ONLY
  : [...POSTGRES_PHASE_ONLY, ...(process.env.TEST_PHASE === 'embedded' ? COVERED_BY_POSTGRES_PHASE : [])];

export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/tests'],
  testMatch: ['**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/', ...notInThisPhase.map((name) => `/dist/tests/${name}\\.test\\.js$`)],
  transform: {},
  maxWorkers: 2,
  // A stack starting on a loaded machine can take minutes; the tests bound their own waits.
  testTimeout: 180_000,
  slowTestThreshold: 30,
  globalSetup: '<rootDir>/dist/tests/support/globalSetup.js',
};
