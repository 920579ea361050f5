// The README's start command as a user runs it: real processes, real ports, data on disk.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromRoot } from '../platform/paths.js';
import { freePort } from './support/processes.js';
import { postGraphQL } from './support/stack.js';

const CANONICAL = `{ orders(first: 10) { nodes { id status totalCents user { name email } items { quantity product { name stock available } } } } }`;

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
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output.join('')}`)), 120_000);
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

let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'supergraph-data-'));
  env = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(await freePort()),
    USERS_PORT: String(await freePort()),
    INVENTORY_PORT: String(await freePort()),
    ORDERS_PORT: String(await freePort()),
    STOREFRONT_PORT: String(await freePort()),
  };
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('runs the four processes on the embedded default, answers the canonical query, and stops cleanly on Ctrl-C', async () => {
    const first = await start(env);
    const admin = await postGraphQL<any>(first.gatewayUrl, 'mutation { logIn(email: "admin@example.com", password: "admin-password") { token } }');
    const token = admin.data.logIn.token;
    const canonical = await postGraphQL<any>(first.gatewayUrl, CANONICAL, {}, token);
    expect(canonical.errors).toBeUndefined();
    expect(canonical.data.orders.nodes).toHaveLength(6);
    expect(canonical.data.orders.nodes[0].user.email).toContain('@example.com');
    expect(canonical.data.orders.nodes[0].items[0].product.name).toEqual(expect.any(String));

    const ada = (await postGraphQL<any>(first.gatewayUrl, 'mutation { logIn(email: "ada@example.com", password: "customer-password") { token } }')).data.logIn.token;
    const product = (await postGraphQL<any>(first.gatewayUrl, '{ products(first: 1) { nodes { id } } }')).data.products.nodes[0];
    const placed = await postGraphQL<any>(first.gatewayUrl, 'mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }] }) { id } }', { id: product.id }, ada);
    expect(placed.errors).toBeUndefined();

    // The storefront is served too, pointed at this gateway, which lets its origin call.
    const storefront = `http://localhost:${env.STOREFRONT_PORT}`;
    expect(first.output.join('')).toContain(`Storefront: ${storefront}`);
    expect(await (await fetch(`${storefront}/orders`)).text()).toContain('<div id="root">');
    expect(await (await fetch(`${storefront}/config.js`)).text()).toContain(first.gatewayUrl);
    const preflight = await fetch(first.gatewayUrl, { method: 'OPTIONS', headers: { origin: storefront, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(storefront);

    expect(await stop(first)).toBe(0);
    // Every port is free again: no process was left behind.
    for (const port of [env.GATEWAY_PORT, env.USERS_PORT, env.INVENTORY_PORT, env.ORDERS_PORT, env.STOREFRONT_PORT]) {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    }

    // Data survives a restart, and seeding again adds nothing.
    const second = await start(env);
    try {
      const again = await postGraphQL<any>(second.gatewayUrl, '{ orders(first: 50) { totalCount nodes { id } } }', {}, token);
      expect(again.data.orders.totalCount).toBe(7);
      expect(again.data.orders.nodes.map((o: { id: string }) => o.id)).toContain(placed.data.placeOrder.id);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 240_000);
});
