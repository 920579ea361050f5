// `npm start`: installs and builds if needed, then runs the four subgraphs and the
// gateway as separate processes, waits until each answers /ready, and prints where to
// query. Ctrl-C stops them all cleanly (each closes its database). The gateway starts
// once the subgraphs are ready: listening earlier, it would take a query sent during
// their start-up (a first run initialises four databases) as subgraphs failing, and its
// circuit breakers would refuse that subgraph for a few seconds more.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { node24, prepare, root } from './prepare.mjs';

const READY_TIMEOUT_MS = 120_000;
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

let stopping = false;
const children = [];
function launch(service) {
  const child = spawn(node24, [...NODE_FLAGS, service.entry], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const label = `\x1b[${service.color}m${service.name.padEnd(13)}\x1b[0m|`;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${label} ${line}`));
  }
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${service.name} exited (${signal ?? `code ${code}`}); stopping the others.`);
    void stopAll(1);
  });
  children.push({ ...service, child });
  return service;
}

async function waitReady(service) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${service.port}/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name} was not ready on port ${service.port} after ${READY_TIMEOUT_MS / 1000} s`);
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const exits = children
    .filter(({ child }) => child.exitCode === null && child.signalCode === null)
    .map(({ child }) => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }));
  const timer = setTimeout(() => {
    console.error(`Still running after ${STOP_TIMEOUT_MS / 1000} s: killing what is left.`);
    exitCode = 1;
    children.forEach(({ child }) => child.kill('SIGKILL'));
  }, STOP_TIMEOUT_MS);
  const codes = await Promise.all(exits);
  clearTimeout(timer);
  if (codes.some((code) => code !== 0)) exitCode = 1;
  process.exit(exitCode);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const gatewayService = services.find((service) => service.name === 'gateway');
const subgraphs = services.filter((service) => service !== gatewayService);
try {
  await Promise.all(subgraphs.map(launch).map(waitReady));
  if (!stopping) await waitReady(launch(gatewayService));
} catch (error) {
  console.error(error.message);
  await stopAll(1);
}
const gateway = `http://localhost:${gatewayService.port}/graphql`;
console.log(`
  Supergraph ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${gateway}
  Open it in a browser for Apollo Sandbox. Ctrl-C stops everything.
  Storefront: ${storefront} (offline explorer: ${storefront}/explorer)
`);
