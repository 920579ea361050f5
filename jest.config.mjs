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

const onPostgres = Boolean(process.env.TEST_POSTGRES_URL);
const notInThisPhase = onPostgres ? EMBEDDED_PHASE_ONLY : POSTGRES_PHASE_ONLY;

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
