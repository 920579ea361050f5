// The supergraph spread over "hosts" on one machine: each service and PostgreSQL in a network
// namespace of its own (scripts/rehearsal/network.sh), with latency between them, or all of
// them in one namespace on its loopback (the baseline). Used by `npm run rehearsal`
// (bench/rehearsal.ts) and tests/rehearsal.test.ts; root only, Linux only.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { fromRoot } from '../../platform/paths.js';
import { SUBGRAPHS, seedDataset, SERVICE_ENV, type Location, type Subgraph } from '../dataset.js';

const run = promisify(execFile);
export const SERVICES = ['users', 'inventory', 'notifications', 'orders', 'gateway'] as const;
export type Service = (typeof SERVICES)[number];
export type Host = Service | 'postgres';
const PORTS: Record<Service, number> = { gateway: 4000, users: 4001, inventory: 4002, orders: 4003, notifications: 4004 };
const ENTRIES: Record<Service, string> = {
  gateway: 'dist/gateway/index.js',
  users: 'dist/subgraphs/users/index.js',
  inventory: 'dist/subgraphs/inventory/index.js',
  orders: 'dist/subgraphs/orders/index.js',
  notifications: 'dist/subgraphs/notifications/index.js',
};
const NETWORK = fromRoot('scripts/rehearsal/network.sh');

/** Why the rehearsal cannot run here, or null when it can. */
export function cannotRun(): string | null {
  if (process.platform !== 'linux') return 'it needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces)';
  for (const tool of ['ip', 'iptables', 'python3', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  if (!postgresBin()) return 'PostgreSQL is not installed (/usr/lib/postgresql/*/bin)';
  return null;
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return version ? path.join(root, version, 'bin') : undefined;
}

/** Where each host runs: its namespace and its address there. */
export interface Placement {
  namespace(host: Host): string;
  address(host: Host): string;
  /** Removes what the placement made. */
  remove(): Promise<void>;
}

/** One-way delays: a default, and exceptions for pairs of hosts (in either direction). */
export interface Delays {
  defaultMs: number;
  pairs?: [Host, Host, number][];
}

export interface Network extends Placement {
  setDelays(delays: Delays): Promise<void>;
  /** Drops every packet to and from `host`, as a pulled cable would. */
  cut(host: Host): Promise<void>;
  restore(host: Host): Promise<void>;
}

/** The multi-host network: a namespace per host, a router that delays between them. */
export async function networkUp(prefix: string): Promise<Network> {
  const env = { ...process.env, REHEARSAL_PREFIX: prefix };
  const script = (...args: string[]) => run('bash', [NETWORK, ...args], { env });
  try {
    await script('up');
  } catch (error) {
    throw new Error(`network.sh up failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  const numbers: Record<Host, number> = { gateway: 1, users: 2, inventory: 3, orders: 4, notifications: 5, postgres: 6 };
  const address = (host: Host) => `198.18.${numbers[host]}.2`;
  let generation = 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'supergraph-delays-'));
  return {
    namespace: (host) => `${prefix}-${host}`,
    address,
    async setDelays({ defaultMs, pairs = [] }) {
      const file = path.join(dir, 'delays.json');
      generation += 1;
      writeFileSync(file, JSON.stringify({ generation, default_ms: defaultMs, pairs: pairs.map(([a, b, ms]) => [address(a), address(b), ms]) }));
      await script('delay', file);
    },
    cut: async (host) => void (await script('cut', host)),
    restore: async (host) => void (await script('restore', host)),
    async remove() {
      await script('down');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every host in one namespace of its own, on its loopback: the baseline. */
export async function loopbackUp(prefix: string): Promise<Placement> {
  const namespace = `${prefix}-loop`;
  await run('ip', ['netns', 'delete', namespace]).catch(() => {});
  await run('ip', ['netns', 'add', namespace]);
  await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  return {
    namespace: () => namespace,
    address: () => '127.0.0.1',
    async remove() {
      const { stdout } = await run('ip', ['netns', 'pids', namespace]).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await run('ip', ['netns', 'delete', namespace]).catch(() => {});
    },
  };
}

/** A process started in a namespace, with what it printed. */
interface Started {
  child: ChildProcess;
  output: string[];
}

function startIn(namespace: string, command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  // `ip netns exec` execs the command itself, so the child's pid is the process's own.
  const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  return { child, output };
}

/** Resolves once the process has printed `text`; rejects if it exits first or `timeoutMs` passes. */
function printed(started: Started, text: string, what: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: nothing said "${text}" within ${timeoutMs} ms:\n${started.output.join('').slice(-2000)}`)), timeoutMs);
    const check = () => started.output.join('').includes(text) && finish();
    const exited = () => finish(new Error(`${what} exited before saying "${text}":\n${started.output.join('').slice(-2000)}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      started.child.stdout!.off('data', check);
      started.child.stderr!.off('data', check);
      started.child.off('exit', exited);
      if (error) reject(error);
      else resolve();
    }
    started.child.stdout!.on('data', check);
    started.child.stderr!.on('data', check);
    started.child.once('exit', exited);
    check();
  });
}

async function stop(started: Started, graceMs = 15_000): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A GraphQL answer as the client got it, and how long it took. */
export interface Answer {
  status: number;
  body: any;
  ms: number;
}

export interface Stack {
  /** POSTs an operation to the gateway from the gateway's own host. */
  query(query: string, token?: string): Promise<Answer>;
  adminToken(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * PostgreSQL with the benchmark's dataset (bench/dataset.ts), then the four subgraphs and
 * the gateway, each on its host of `placement`. `dataDir` holds the database between two
 * placements (initialised and seeded when empty).
 */
export async function startStack(placement: Placement, dataDir: string, extraEnv: Record<string, string> = {}): Promise<Stack> {
  const started: Started[] = [];
  const stopAll = async () => {
    for (const each of started.reverse()) await stop(each);
  };
  try {
    const postgres = await startPostgres(placement, dataDir);
    started.push(postgres);
    const at = (host: Host) => placement.address(host);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...SERVICE_ENV,
      LOG_LEVEL: 'warn',
      HOST: '0.0.0.0',
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_USER: '0',
      LOGIN_FAILURES_PER_IP: '0',
      LOGIN_ATTEMPTS_PER_ACCOUNT: '0',
      // A dead host costs a query 2 s until its circuit opens, not the default 10.
      SUBGRAPH_TIMEOUT_MS: '2000',
      ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_DATABASE_URL`, `postgres://postgres@${at('postgres')}:5432/${name}`])),
      ...Object.fromEntries(SERVICES.filter((name) => name !== 'gateway').map((name) => [`${name.toUpperCase()}_URL`, `http://${at(name)}:${PORTS[name]}/graphql`])),
      ...extraEnv,
    };
    const tunnelPath = path.join(dataDir, `tunnel-${process.pid}.sock`);
    const tunnel = startIn(placement.namespace('gateway'), process.execPath, [fromRoot('dist/bench/rehearsal/tunnel.js'), tunnelPath], env);
    started.push(tunnel);
    await printed(tunnel, 'tunnel ready', 'the tunnel');
    const client = tunnelClient(tunnelPath);

    for (const service of SERVICES) {
      const process_ = startIn(placement.namespace(service), process.execPath, ['--max-semi-space-size=16', fromRoot(ENTRIES[service])], env);
      started.push(process_);
      const deadline = Date.now() + 120_000;
      while ((await client.get(at(service), PORTS[service], '/ready').catch(() => 0)) !== 200) {
        if (process_.child.exitCode !== null) throw new Error(`${service} exited:\n${process_.output.join('').slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`${service} was not ready within 120 s:\n${process_.output.join('').slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    const query = (text: string, token?: string) => client.post(at('gateway'), PORTS.gateway, JSON.stringify({ query: text }), token);
    return {
      query,
      async adminToken() {
        const answer = await query(`mutation { logIn(email: "${SERVICE_ENV.ADMIN_EMAIL}", password: "${SERVICE_ENV.ADMIN_PASSWORD}") { token } }`);
        if (!answer.body?.data?.logIn) throw new Error(`admin sign-in failed: ${JSON.stringify(answer.body)}`);
        return answer.body.data.logIn.token;
      },
      async stop() {
        client.close();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** PostgreSQL on the placement's postgres host: initdb into `dataDir` the first time, seeded. */
async function startPostgres(placement: Placement, dataDir: string): Promise<Started> {
  const bin = postgresBin()!;
  const cluster = path.join(dataDir, 'pgdata');
  const fresh = !existsSync(cluster);
  // PostgreSQL refuses to run as root: the files and the server belong to `postgres`.
  chownSync(dataDir, postgresUid(), postgresUid());
  if (fresh) {
    await run('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', path.join(bin, 'initdb'), '-D', cluster, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    appendFileSync(path.join(cluster, 'pg_hba.conf'), 'host all all 198.18.0.0/15 trust\n');
  }
  const server = startIn(
    placement.namespace('postgres'),
    'setpriv',
    ['--reuid=postgres', '--regid=postgres', '--init-groups', path.join(bin, 'postgres'), '-D', cluster, '-k', dataDir, '-p', '5432',
      '-c', `listen_addresses=${placement.address('postgres')}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { PATH: process.env.PATH },
  );
  await printed(server, 'database system is ready to accept connections', 'PostgreSQL');
  if (fresh) {
    // The Unix socket is a file: reachable from here whatever namespace the server is in.
    const admin = new pg.Client({ host: dataDir, port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    for (const name of SUBGRAPHS) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const locations = Object.fromEntries(SUBGRAPHS.map((name) => [name, { url: `postgres://postgres@localhost:5432/${name}?host=${dataDir}` }])) as Record<Subgraph, Location>;
    await seedDataset(locations);
  }
  return server;
}

function postgresUid(): number {
  return Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
}

/** HTTP over the tunnel: kept-alive connections that start on the gateway's host. */
function tunnelClient(socketPath: string) {
  class TunnelAgent extends Agent {
    override createConnection(options: { host?: string; port?: number }, callback?: (error: Error | null, socket: any) => void) {
      const socket = connect(socketPath);
      socket.setNoDelay(true);
      socket.write(`${options.host}:${options.port}\n`);
      callback?.(null, socket);
      return socket;
    }
  }
  const agent = new TunnelAgent({ keepAlive: true, maxSockets: 4 });
  const send = (host: string, port: number, method: string, pathname: string, body?: string, token?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const started = performance.now();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const req = request({ agent, host, port, method, path: pathname, headers, timeout: 120_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON (a /ready answer)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port}${pathname} in 120 s`)));
      req.on('error', reject);
      req.end(body);
    });
  return {
    get: async (host: string, port: number, pathname: string) => (await send(host, port, 'GET', pathname)).status,
    post: (host: string, port: number, body: string, token?: string) => send(host, port, 'POST', '/graphql', body, token),
    close: () => agent.destroy(),
  };
}
