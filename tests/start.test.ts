// The README's start command as a user runs it: real processes, real ports, data on disk.
// Two `npm start`s on one data folder: a first on an empty folder, stopped with Ctrl-C; a
// second on the data it left, in which processes are killed for real and must come back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromRoot } from '../platform/paths.js';
import { freePort } from './support/processes.js';
import { postGraphQL, type GraphQLResponse } from './support/stack.js';
import { waitFor } from './support/wait.js';

const CANONICAL = `{ orders(first: 10) { nodes { id status totalCents user { name email } items { quantity product { name stock available } } } } }`;
/** Full answers must be back within this long after a restarted subgraph is ready again. */
const RECOVERY_BOUND_MS = 10_000;

interface Started {
  child: ChildProcess;
  output: string[];
  gatewayUrl: string;
}

async function start(env: Record<string, string>): Promise<Started> {
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  const child = spawn(process.execPath, [fromRoot('scripts/start.mjs')], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stderr!.on('data', (chunk) => output.push(String(chunk)));
  await new Promise<void>((resolve, reject) => {
    // A bound for a start that hangs, not a speed: it builds, and a first start creates four databases.
    const timer = setTimeout(() => {
      child.kill('SIGINT'); // its own Ctrl-C: it stops whatever it had started
      reject(new Error(`not ready in time:\n${output.join('')}`));
    }, 300_000);
    child.stdout!.on('data', (chunk) => {
      output.push(String(chunk));
      if (String(chunk).includes('Supergraph ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`start exited with ${code}:\n${output.join('')}`)));
  });
  return { child, output, gatewayUrl: `http://localhost:${env.GATEWAY_PORT}/graphql` };
}

function stop({ child }: Started): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

/** Waits until `npm start` has printed `text`; fails with what it printed if it exits first or `timeoutMs` passes. */
async function printed({ child, output }: Started, text: string | RegExp, timeoutMs = 150_000): Promise<string> {
  const said = () => output.join('');
  const found = () => (typeof text === 'string' ? said().includes(text) : text.test(said()));
  await waitFor(`npm start to print ${text}`, async () => found() || child.exitCode !== null, { timeoutMs, everyMs: 50 }).catch(() => {});
  if (!found()) throw new Error(`npm start did not print ${text}; it printed:\n${said().slice(-6000)}`);
  return said();
}

/** Every pid `npm start` printed for a service (`users started (pid 123)`, `… restarted (pid 456)`), oldest first. */
function pids({ output }: Started, name: string): number[] {
  return [...output.join('').matchAll(new RegExp(`^${name} (?:started|restarted) \\(pid (\\d+)\\)$`, 'gm'))].map((match) => Number(match[1]));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dataDir: string;
let env: Record<string, string>;
let token: string;
let placedOrderId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'supergraph-data-'));
  env = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(await freePort()),
    USERS_PORT: String(await freePort()),
    INVENTORY_PORT: String(await freePort()),
    ORDERS_PORT: String(await freePort()),
    NOTIFICATIONS_PORT: String(await freePort()),
  };
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const ports = () => [env.GATEWAY_PORT, env.USERS_PORT, env.INVENTORY_PORT, env.ORDERS_PORT, env.NOTIFICATIONS_PORT];

describe('npm start', () => {
  it('runs the five processes on the embedded default, answers the canonical query, and stops cleanly on Ctrl-C', async () => {
    const first = await start(env);
    const admin = await postGraphQL<any>(first.gatewayUrl, 'mutation { logIn(email: "admin@example.com", password: "admin-password") { token } }');
    token = admin.data.logIn.token;
    const canonical = await postGraphQL<any>(first.gatewayUrl, CANONICAL, {}, token);
    expect(canonical.errors).toBeUndefined();
    expect(canonical.data.orders.nodes).toHaveLength(6);
    expect(canonical.data.orders.nodes[0].user.email).toContain('@example.com');
    expect(canonical.data.orders.nodes[0].items[0].product.name).toEqual(expect.any(String));

    const ada = (await postGraphQL<any>(first.gatewayUrl, 'mutation { logIn(email: "ada@example.com", password: "customer-password") { token } }')).data.logIn.token;
    const product = (await postGraphQL<any>(first.gatewayUrl, '{ products(first: 1) { nodes { id } } }')).data.products.nodes[0];
    const placed = await postGraphQL<any>(first.gatewayUrl, 'mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }] }) { id } }', { id: product.id }, ada);
    expect(placed.errors).toBeUndefined();
    placedOrderId = placed.data.placeOrder.id;

    expect(await stop(first)).toBe(0);
    // Every port is free again: no process was left behind.
    for (const port of ports()) {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    }
  }, 420_000);
});

describe('npm start again, on the data the first left', () => {
  let running: Started;
  const query = () => postGraphQL<any>(running.gatewayUrl, CANONICAL, {}, token);

  beforeAll(async () => {
    running = await start(env);
  }, 360_000);
  afterAll(() => {
    // Only if a test failed before Ctrl-C: leave nothing running.
    if (!running || running.child.exitCode !== null) return;
    for (const name of ['users', 'inventory', 'orders', 'notifications', 'gateway']) pids(running, name).filter(alive).forEach((pid) => process.kill(pid, 'SIGKILL'));
    running.child.kill('SIGKILL');
  });

  it('finds its data: the order placed before is there, and seeding again added nothing', async () => {
    const again = await postGraphQL<any>(running.gatewayUrl, '{ orders(first: 50) { totalCount nodes { id } } }', {}, token);
    expect(again.data.orders.totalCount).toBe(7);
    expect(again.data.orders.nodes.map((o: { id: string }) => o.id)).toContain(placedOrderId);
  });

  it('restarts a subgraph killed with SIGKILL; meanwhile the gateway answers partially, and whole again within 10 s of it being ready', async () => {
    const [pid] = pids(running, 'inventory');
    process.kill(pid!, 'SIGKILL');
    await printed(running, 'inventory exited (SIGKILL); restarting it in 0.5 s');

    // Until the new process is ready, every answer is served: orders and customers, no product.
    const meanwhile: GraphQLResponse[] = [];
    while (!running.output.join('').includes('inventory is ready again')) {
      meanwhile.push(await query());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const partial = meanwhile.filter((answer) => answer.errors);
    expect(partial.length).toBeGreaterThan(0);
    for (const answer of meanwhile) {
      expect(answer.status).toBe(200);
      expect(answer.data.orders.nodes).toHaveLength(7);
      expect(answer.data.orders.nodes[0].user.email).toContain('@example.com');
    }
    for (const answer of partial) {
      expect(answer.errors!.map((e) => [e.extensions?.code, e.extensions?.subgraph])).toEqual([['SUBGRAPH_UNAVAILABLE', 'inventory']]);
      expect(answer.data.orders.nodes[0].items[0].product).toBeNull();
    }

    const restarted = pids(running, 'inventory');
    expect(restarted).toHaveLength(2);
    expect(running.output.join('')).toContain(`inventory is ready again (pid ${restarted[1]})`);
    const ready = Date.now();
    let full: GraphQLResponse | undefined;
    while (!full && Date.now() - ready < RECOVERY_BOUND_MS) {
      const answer = await query();
      if (!answer.errors) full = answer;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(full?.data.orders.nodes[0].items[0].product.name).toEqual(expect.any(String));
  }, 180_000);

  it('restarts the gateway killed with SIGKILL, and it answers again', async () => {
    const [pid] = pids(running, 'gateway');
    process.kill(pid!, 'SIGKILL');
    await printed(running, 'gateway exited (SIGKILL); restarting it in 0.5 s');
    await printed(running, /gateway is ready again \(pid \d+\)/);
    const answer = await query();
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data.orders.nodes[0].items[0].product.name).toEqual(expect.any(String));
  }, 180_000);

  it('gives up on a service that keeps dying, says why, and the others keep serving', async () => {
    // Its data folder replaced by a file: every start of notifications now fails at once.
    const folder = path.join(dataDir, 'notifications');
    await rename(folder, `${folder}.saved`);
    await writeFile(folder, 'not a folder');
    try {
      const [pid] = pids(running, 'notifications');
      process.kill(pid!, 'SIGKILL');
      const said = await printed(running, /notifications exited 5 times within 2 minutes \(last: code 1\); giving up on it\.[^]*Fix the cause/);
      // The restarts came after 0.5, 1, 2 and 4 s, and the report carries its last words.
      for (const delay of ['0.5', '1', '2', '4']) expect(said).toContain(`restarting it in ${delay} s`);
      expect(pids(running, 'notifications')).toHaveLength(5);
      expect(said.slice(said.indexOf('giving up on it'))).toContain(`EEXIST: file already exists, mkdir '${folder}'`);

      const answer = await query();
      expect(answer.errors).toBeUndefined();
      expect(answer.data.orders.nodes[0].items[0].product.name).toEqual(expect.any(String));
    } finally {
      await rm(folder, { force: true });
      await rename(`${folder}.saved`, folder);
    }
  }, 180_000);

  it('Ctrl-C stops every process, the restarted ones too, and cancels a restart still pending', async () => {
    const [orders] = pids(running, 'orders');
    process.kill(orders!, 'SIGKILL');
    expect(await stop(running)).toBe(0);

    const said = running.output.join('');
    expect(said).not.toMatch(/^orders restarted/m);
    // Given up on means given up: notifications was not started again.
    expect(pids(running, 'notifications')).toHaveLength(5);
    const every = ['users', 'inventory', 'orders', 'notifications', 'gateway'].flatMap((name) => pids(running, name));
    expect(every.filter(alive)).toEqual([]);
    for (const port of ports()) {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    }
  }, 60_000);
});
