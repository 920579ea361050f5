// The services as real Node processes on free ports, as `npm start` and docker-compose run
// them: for tests that kill, stop or restart one for real.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromRoot } from '../../platform/paths.js';
import { NO_RATE_LIMITS } from './services.js';
import { migratedTemplateFile, SUBGRAPHS } from './templates.js';
import { waitFor } from './wait.js';

const ENTRIES = {
  users: 'dist/subgraphs/users/index.js',
  inventory: 'dist/subgraphs/inventory/index.js',
  orders: 'dist/subgraphs/orders/index.js',
  notifications: 'dist/subgraphs/notifications/index.js',
  gateway: 'dist/gateway/index.js',
  // The storefront's server (web/server.mjs), on the build `npm test` makes before it runs.
  storefront: 'web/server.mjs',
} as const;
export type ServiceName = keyof typeof ENTRIES;
/** A service, or a further instance of one (`orders#2`, started with startInstance). */
export type ProcessKey = ServiceName | `${ServiceName}#${string}`;
const NAMES = Object.keys(ENTRIES) as ServiceName[];
const execFileAsync = promisify(execFile);

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcesses {
  ports: Record<ServiceName, number>;
  /** The GraphQL URL of a service (its own port, not through a proxy). */
  url(name: ServiceName): string;
  /** Where a service serves /metrics: a port of its own (<NAME>_METRICS_PORT), as in production. */
  metricsUrl(name: ServiceName): string;
  /** Starts a service and waits until its /ready answers 200; `env` adds to the group's. */
  start(name: ServiceName, env?: Record<string, string>): Promise<ChildProcess>;
  /**
   * Starts another instance of a service (`name#instance`) on ports of its own, as a
   * PostgreSQL deployment scales out; its database and everything else are the group's
   * unless `env` says otherwise.
   */
  startInstance(name: ServiceName, instance: string, env?: Record<string, string>): Promise<{ url: string; metricsUrl: string }>;
  /** Everything a service has printed (its JSON log lines) since the group began. */
  output(name: ProcessKey): string;
  /**
   * Waits until a running service has printed `text`; rejects, with what it printed, if
   * it exits first or `timeoutMs` passes.
   */
  waitForOutput(name: ProcessKey, text: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  signal(name: ProcessKey, signal: NodeJS.Signals): Promise<number | null>;
  /** SIGKILLs whatever still runs and removes the data. */
  dispose(): Promise<void>;
}

/** A group of services sharing one embedded data folder; `env` applies to all of them. */
export async function serviceProcesses(env: Record<string, string> = {}): Promise<ServiceProcesses> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'supergraph-processes-'));
  // Each embedded database starts migrated (templates.ts): a process's first start then
  // skips initdb and the migrations, which took it most of a minute on a loaded machine.
  for (const subgraph of SUBGRAPHS) {
    if (env[`${subgraph.toUpperCase()}_DATABASE_URL`]) continue;
    await mkdir(path.join(dataDir, subgraph));
    await execFileAsync('tar', ['-xf', await migratedTemplateFile(subgraph), '-C', path.join(dataDir, subgraph)]);
  }
  const ports = {} as Record<ServiceName, number>;
  const metricsPorts = {} as Record<ServiceName, number>;
  for (const name of NAMES) [ports[name], metricsPorts[name]] = [await freePort(), await freePort()];
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}/graphql`;
  // NODE_OPTIONS carries jest's VM-modules flag, which the services must not inherit.
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  const shared = {
    ...inherited,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    USERS_PORT: String(ports.users),
    INVENTORY_PORT: String(ports.inventory),
    ORDERS_PORT: String(ports.orders),
    NOTIFICATIONS_PORT: String(ports.notifications),
    GATEWAY_PORT: String(ports.gateway),
    STOREFRONT_PORT: String(ports.storefront),
    GATEWAY_URL: url('gateway'),
    ...Object.fromEntries(NAMES.map((name) => [`${name.toUpperCase()}_METRICS_PORT`, String(metricsPorts[name])])),
    USERS_URL: url('users'),
    INVENTORY_URL: url('inventory'),
    ORDERS_URL: url('orders'),
    NOTIFICATIONS_URL: url('notifications'),
    ...NO_RATE_LIMITS,
    ...env,
  };
  const running = new Map<ProcessKey, ChildProcess>();
  const printed = new Map<ProcessKey, string[]>(NAMES.map((name) => [name, []]));

  const signal = (name: ProcessKey, which: NodeJS.Signals) => {
    const child = running.get(name);
    if (!child) return Promise.resolve(null);
    running.delete(name);
    // One that has already exited (it failed, or was killed) will not say so again.
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill(which);
    });
  };

  async function launch(name: ServiceName, key: ProcessKey, port: number, extra: Record<string, string>): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--max-semi-space-size=16', fromRoot(ENTRIES[name])], { env: { ...shared, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const said = printed.get(key) ?? [];
    printed.set(key, said);
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => said.push(chunk.toString('utf8')));
    running.set(key, child);
    // Bounded by readiness: a process that exits fails at once with what it printed; the
    // bound is only for one that hangs, and leaves a loaded machine room.
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${key} exited with ${child.exitCode} before it was ready:\n${said.join('').slice(-4000)}`);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
      if (ready) return child;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${key} did not become ready in 180 s:\n${said.join('').slice(-4000)}`);
  }

  return {
    ports,
    url,
    metricsUrl: (name) => `http://127.0.0.1:${metricsPorts[name]}/metrics`,
    start: async (name, extra = {}) => launch(name, name, ports[name], extra),
    async startInstance(name, instance, extra = {}) {
      const [port, metricsPort] = [await freePort(), await freePort()];
      const prefix = name.toUpperCase();
      await launch(name, `${name}#${instance}`, port, { [`${prefix}_PORT`]: String(port), [`${prefix}_METRICS_PORT`]: String(metricsPort), ...extra });
      return { url: `http://127.0.0.1:${port}/graphql`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    },
    output: (name) => printed.get(name)!.join(''),
    async waitForOutput(name, text, timeoutMs = 60_000) {
      const child = running.get(name);
      const said = () => printed.get(name)!.join('');
      const gone = () => !child || child.exitCode !== null || child.signalCode !== null;
      const failure = (why: string) => new Error(`${name} ${why} without printing ${JSON.stringify(text)}; it printed:\n${said().slice(-4000)}`);
      await waitFor(`${name} to print ${JSON.stringify(text)}`, async () => said().includes(text) || gone(), { timeoutMs, everyMs: 50 }).catch(() => {
        throw failure(`went ${timeoutMs} ms`);
      });
      if (!said().includes(text)) throw failure('exited');
    },
    signal,
    async dispose() {
      await Promise.all([...running.keys()].map((name) => signal(name, 'SIGKILL')));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
