// Several worker processes behind one service's port (WORKERS=2, Node cluster), as real
// processes: requests are shared, /metrics adds up every worker, a killed worker is
// replaced, SIGTERM stops them all. PostgreSQL only for the cluster itself (the embedded
// PGlite belongs to one process, which the last test shows is refused clearly).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromRoot } from '../platform/paths.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.js';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';

/** The pids of a process's children. */
function children(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** One query on a connection of its own: a kept-alive one may belong to a dead worker. */
function queryOnNewConnection(url: string, query: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const outgoing = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve(JSON.parse(text)));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const metric = async (metricsUrl: string, name: string) => {
  const text = await (await fetch(metricsUrl)).text();
  return text.split('\n').filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
};

(onPostgres ? describe : describe.skip)('a service with two workers', () => {
  let database: TestDatabase;
  let services: ServiceProcesses;
  let primary: number;

  beforeAll(async () => {
    database = await createTestDatabase('workers');
    services = await serviceProcesses({ INVENTORY_DATABASE_URL: database.url!, SEED_DEMO_DATA: 'true', WORKERS: '2', LOG_LEVEL: 'info' });
    primary = (await services.start('inventory')).pid!;
    // /ready answers as soon as the first worker serves; the second starts after it.
    await services.waitForOutput('inventory', 'ready with 2 workers', 90_000);
  }, 120_000);
  afterAll(async () => {
    await services?.dispose();
    await database?.drop();
  });

  it('runs two workers behind the one port, and /metrics counts the requests of both', async () => {
    expect(children(primary)).toHaveLength(2);
    const url = services.url('inventory');
    const before = await metric(services.metricsUrl('inventory'), 'graphql_request_duration_seconds_count');
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }) }).then((r) => r.json() as Promise<any>)),
    );
    expect(answers.every((answer) => answer.data.products.totalCount === 20)).toBe(true);
    expect((await metric(services.metricsUrl('inventory'), 'graphql_request_duration_seconds_count')) - before).toBe(40);
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const [victim] = children(primary);
    process.kill(victim!, 'SIGKILL');
    // Once the primary has reaped it (it leaves /proc), no connection is handed to it.
    while (readdirSync('/proc').includes(String(victim))) await new Promise((resolve) => setTimeout(resolve, 20));
    const url = services.url('inventory');
    // New connections all go to the worker still alive (one kept alive to the dead one
    // would be reset: the gateway retries those for queries).
    for (let i = 0; i < 10; i++) expect((await queryOnNewConnection(url, '{ __typename }')).data.__typename).toBe('Query');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(children(primary).length === 2 && !children(primary).includes(victim!))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(children(primary)).toHaveLength(2);
    expect(children(primary)).not.toContain(victim);
  }, 60_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = children(primary);
    expect(await services.signal('inventory', 'SIGTERM')).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});

it('refuses WORKERS above 1 on the embedded database, naming the setting', () => {
  const { NODE_OPTIONS: _jestOnly, ...env } = process.env;
  const result = spawnSync(process.execPath, [fromRoot('dist/subgraphs/inventory/index.js')], {
    env: { ...env, WORKERS: '2', INVENTORY_DATABASE_URL: '', INVENTORY_PORT: '0', DATA_DIR: '/nonexistent-never-created' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('WORKERS above 1 needs INVENTORY_DATABASE_URL');
});
