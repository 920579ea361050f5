// `npm start`: installs and builds if needed, then runs the four subgraphs and the
// gateway as separate processes, waits until each answers /ready, and prints where to
// query. A process that dies later is restarted while the others keep serving
// (scripts/supervisor.mjs); Ctrl-C or SIGTERM stops them all cleanly (each closes its
// database) and cancels any restart still pending. The gateway starts
// once the subgraphs are ready: listening earlier, it would take a query sent during
// their start-up (a first run initialises four databases) as subgraphs failing, and its
// circuit breakers would refuse that subgraph for a few seconds more.
import { node24, prepare, root } from './prepare.mjs';
import { logLineFormatter } from './logFormat.mjs';
import { Supervisor } from './supervisor.mjs';

// A bound for a process that hangs at start-up, not a speed: on a loaded 2-core machine
// one PGlite database took 47 s to create, and a first start creates four at once.
const READY_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 15_000;
const env = process.env;

const services = [
  { name: 'users', entry: 'dist/subgraphs/users/index.js', port: env.USERS_PORT ?? 4001, color: 36 },
  { name: 'inventory', entry: 'dist/subgraphs/inventory/index.js', port: env.INVENTORY_PORT ?? 4002, color: 33 },
  { name: 'orders', entry: 'dist/subgraphs/orders/index.js', port: env.ORDERS_PORT ?? 4003, color: 35 },
  { name: 'notifications', entry: 'dist/subgraphs/notifications/index.js', port: env.NOTIFICATIONS_PORT ?? 4004, color: 34 },
  { name: 'gateway', entry: 'dist/gateway/index.js', port: env.GATEWAY_PORT ?? 4000, color: 32 },
  // The storefront (web/server.mjs serves its build) starts beside the subgraphs.
  { name: 'storefront', entry: 'web/server.mjs', port: env.STOREFRONT_PORT ?? 5173, color: 37 },
];
const storefront = `http://localhost:${services[5].port}`;

// Each service finds the others where this script starts them, unless told otherwise.
const childEnv = {
  ...env,
  USERS_URL: env.USERS_URL ?? `http://localhost:${services[0].port}/graphql`,
  INVENTORY_URL: env.INVENTORY_URL ?? `http://localhost:${services[1].port}/graphql`,
  ORDERS_URL: env.ORDERS_URL ?? `http://localhost:${services[2].port}/graphql`,
  NOTIFICATIONS_URL: env.NOTIFICATIONS_URL ?? `http://localhost:${services[3].port}/graphql`,
  GATEWAY_URL: env.GATEWAY_URL ?? `http://localhost:${services[4].port}/graphql`,
  // The storefront calls the gateway from the browser (development allows any localhost origin anyway).
  CORS_ORIGINS: env.CORS_ORIGINS ?? storefront,
};

const started = Date.now();
prepare();

// V8 sizes the young generation from the machine's memory (128 MB on 24 GiB) and keeps it;
// 16 MB semi-spaces cost nothing measurable and save about 100 MB of RSS per process
// (docs/performance.md). The same flag is in package.json's start:* and docker-compose.yml.
const NODE_FLAGS = ['--max-semi-space-size=16'];

const supervisor = new Supervisor({
  node: node24,
  nodeFlags: NODE_FLAGS,
  cwd: root,
  env: childEnv,
  formatLine: await logLineFormatter(env, Boolean(process.stdout.isTTY)),
  onStartupFailure: (error) => {
    console.error(error.message);
    void stopAll(1);
  },
});

let stopping = false;
async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const clean = await supervisor.stop(STOP_TIMEOUT_MS);
  process.exit(clean ? exitCode : 1);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const gatewayService = services.find((service) => service.name === 'gateway');
const subgraphs = services.filter((service) => service !== gatewayService);
try {
  await Promise.all(subgraphs.map((service) => supervisor.start(service, READY_TIMEOUT_MS)));
  if (!stopping) await supervisor.start(gatewayService, READY_TIMEOUT_MS);
} catch (error) {
  if (!stopping) console.error(error.message);
  await stopAll(1);
}
if (!stopping) {
  const gateway = `http://localhost:${gatewayService.port}/graphql`;
  console.log(`
  Supergraph ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${gateway}
  Open it in a browser for Apollo Sandbox. Ctrl-C stops everything.
  Storefront: ${storefront} (offline explorer: ${storefront}/explorer)
`);
}
