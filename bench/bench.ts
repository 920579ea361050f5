// `npm run bench`: how much federation costs, measured. Starts the four services as real
// processes on a fixed dataset (PostgreSQL by default, `--pglite` for the embedded
// databases), drives each scenario with autocannon from this process over loopback, and
// reads CPU and memory of every process from /proc and SQL and subgraph-fetch counts from
// the services' /metrics. In the same run it measures the baseline (bench/baseline.ts:
// one plain GraphQL server reading the same databases) and prints our/baseline ratios.
// Writes docs/benchmark.md and docs/benchmark.svg.
//
// For working on one cost: `--only canonical20` runs just the named scenarios (and prints,
// but does not write, the partial report); `--profile DIR` runs our services under
// `node --cpu-prof` and leaves one profile per process in DIR for bench/profile.ts;
// `--no-workers` leaves out the runs with one cluster worker per core.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fromRoot } from '../platform/paths.js';
import { freePort, serviceProcesses, type ServiceName, type ServiceProcesses } from '../tests/support/processes.js';
import { canonicalQuery, copyPgliteData, createPostgresDatabases, CUSTOMER_PASSWORD, customerEmail, databaseEnv, DATASET, SECRETS, seedDataset, SERVICE_ENV, SUBGRAPHS, type Location, type Subgraph } from './dataset.js';
import { graphql, logIn } from './graphqlClient.js';
import { median, metricSum, postgresCpuBetween, postgresCpuMs, treeCpuMs, treeRssMb } from './measure.js';
import { renderChart, renderReport, type Paired, type Row, type SoakSample } from './report.js';

const { values: args } = parseArgs({
  options: {
    pglite: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    soak: { type: 'string', default: '120' },
    only: { type: 'string' },
    profile: { type: 'string' },
    workers: { type: 'boolean', default: true },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  allowNegative: true,
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const WARMUP_SECONDS = 2;
const ROUNDS = Number(args.rounds);
const SOAK_SECONDS = Number(args.soak);
const ALL_SCENARIOS = ['canonical10', 'canonical20', 'canonical100', 'products', 'me', 'placeOrder'];
const ONLY = args.only?.split(',').map((key) => key.trim());
const unknownScenario = ONLY?.find((key) => !ALL_SCENARIOS.includes(key));
if (unknownScenario) throw new TypeError(`--only takes scenarios from ${ALL_SCENARIOS.join(', ')}; got ${unknownScenario}`);
/** The scenarios of `keys` that this run measures. */
const selected = (keys: string[]) => keys.filter((key) => !ONLY || ONLY.includes(key));

interface Target {
  label: string;
  url: string;
  /** Processes whose CPU and memory count, by the name the report gives them. */
  pids: Record<string, number>;
  /** Where each service serves /metrics, to read SQL and fetch counts (absent for the baseline). */
  metrics?: Record<Subgraph | 'gateway', string>;
}

interface Scenario {
  name: string;
  body: () => string;
  token: () => string;
}

async function main() {
  const workDir = await mkdtemp(path.join(tmpdir(), 'supergraph-bench-'));
  const children: ChildProcess[] = [];
  try {
    console.log(`Dataset: ${DATASET.users} customers, ${DATASET.products} products, ${DATASET.orders} orders × ${DATASET.itemsPerOrder} items on ${args.pglite ? 'PGlite' : 'PostgreSQL'}`);
    const locations: Record<Subgraph, Location> = args.pglite
      ? Object.fromEntries(SUBGRAPHS.map((name) => [name, { dataDir: path.join(workDir, 'ours', name) }])) as Record<Subgraph, Location>
      : await createPostgresDatabases(args['postgres-url']!);
    await seedDataset(locations);
    const baselineLocations = args.pglite ? await copyPgliteData(locations, path.join(workDir, 'baseline')) : locations;

    const startOurs = async (workers: number) => {
      const profiling: Record<string, string> = args.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(args.profile)}` } : {};
      const env = { ...SERVICE_ENV, ...databaseEnv(locations, args.pglite ? path.join(workDir, 'ours') : undefined), WORKERS: String(workers), ...profiling };
      const services = await serviceProcesses(env);
      const pids = {} as Record<string, number>;
      for (const name of ['users', 'inventory', 'notifications', 'orders', 'gateway'] as ServiceName[]) {
        pids[name] = (await services.start(name)).pid!;
        if (workers > 1) await services.waitForOutput(name, `ready with ${workers} workers`);
      }
      const target: Target = {
        label: workers === 1 ? 'supergraph' : `supergraph ×${workers} workers`,
        url: services.url('gateway'),
        pids,
        // The services run in production mode, which serves /metrics on its own port only.
        metrics: { gateway: services.metricsUrl('gateway'), users: services.metricsUrl('users'), inventory: services.metricsUrl('inventory'), orders: services.metricsUrl('orders'), notifications: services.metricsUrl('notifications') },
      };
      return { services, target };
    };
    const { services, target: ours } = await startOurs(1);

    const startBaseline = async (workers: number): Promise<Target & { stop(): void }> => {
      const port = await freePort();
      const { NODE_OPTIONS: _, ...inherited } = process.env;
      const env = { ...inherited, ...SECRETS, ...databaseEnv(baselineLocations, args.pglite ? path.join(workDir, 'baseline') : undefined), BASELINE_PORT: String(port), BASELINE_WORKERS: String(workers) };
      const child = spawn(process.execPath, [fromRoot('dist/bench/baseline.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout!.resume(); // its request log: read through a pipe, as the services' are
      children.push(child);
      const url = `http://127.0.0.1:${port}/graphql`;
      for (let tries = 0; ; tries++) {
        const up = await fetch(url, { method: 'POST', body: '{}' }).then(() => true, () => false);
        if (up) break;
        if (tries > 300) throw new Error('the baseline did not start');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { label: workers === 1 ? 'baseline' : `baseline ×${workers} workers`, url, pids: { server: child.pid! }, stop: () => child.kill('SIGTERM') };
    };

    // Tokens stay valid across restarts (same secret); logging in again only warms a new stack.
    let admin = '';
    let customers: string[] = [];
    const logInAll = async (url: string) => {
      admin = await logIn(url, SECRETS.ADMIN_EMAIL, SECRETS.ADMIN_PASSWORD);
      customers = await Promise.all(Array.from({ length: 10 }, (_, i) => logIn(url, customerEmail(i + 1), CUSTOMER_PASSWORD)));
    };
    await logInAll(ours.url);
    const anyCustomer = () => customers[Math.floor(Math.random() * customers.length)]!;
    const json = (query: string, variables?: unknown) => () => JSON.stringify({ query, variables });
    const scenarios: Record<string, Scenario> = {
      canonical10: { name: 'canonical query, 10 orders', body: json(canonicalQuery(10)), token: () => admin },
      canonical20: { name: 'canonical query, 20 orders', body: json(canonicalQuery(20)), token: () => admin },
      canonical100: { name: 'canonical query, 100 orders', body: json(canonicalQuery(100)), token: () => admin },
      products: { name: 'products list (20)', body: json('{ products(first: 20) { nodes { id sku name priceCents available } } }'), token: () => '' },
      me: { name: 'me with my orders (10)', body: json('{ me { name orders(first: 10) { nodes { id totalCents items { quantity product { name } } } } } }'), token: anyCustomer },
      placeOrder: {
        name: 'placeOrder (1 line)',
        body: () =>
          JSON.stringify({
            query: 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id totalCents } }',
            variables: { input: { items: [{ productId: productId(1 + Math.floor(Math.random() * DATASET.products)), quantity: 1 }] } },
          }),
        token: anyCustomer,
      },
    };
    // Product ids are md5('product-<n>') as UUIDs (bench/dataset.ts); asked once, here.
    const productIds = await productIdsFrom(ours.url);
    const productId = (n: number) => productIds[(n - 1) % productIds.length]!;

    // Each canonical scenario runs in rounds on ours and on the baseline, both stacks up side
    // by side (an idle stack costs a few ms of CPU a second): this machine's speed drifts by
    // up to 30 % within minutes, so the two sides of a ratio are measured seconds apart, not
    // a whole run apart.
    const baseline = await startBaseline(1);
    // The throughput target compares ours with the baseline given every core, so that
    // baseline is up from the start too (idle until its rounds) and measured in rounds with ours.
    const workers = availableParallelism();
    const measurePooled = !args.pglite && args.workers && selected(['canonical20']).length > 0;
    const pooledBaseline = measurePooled ? await startBaseline(workers) : null;
    const rows: Row[] = [];
    let throughput: Paired | undefined;
    let pooledThroughput: Paired | undefined;
    for (const key of selected(ALL_SCENARIOS)) {
      if (key.startsWith('canonical')) {
        const paired = await runPaired(ours, baseline, scenarios[key]!);
        rows.push(paired.ours, paired.baseline);
        if (key === 'canonical20' && pooledBaseline) throughput = await runPaired(ours, pooledBaseline, scenarios[key]!);
      } else {
        rows.push(await run(ours, scenarios[key]!));
      }
    }
    if (throughput) rows.push(throughput.baseline);
    const soak = SOAK_SECONDS > 0 ? await soakTest(ours, scenarios.canonical20!) : [];
    await stopAll(services);
    baseline.stop();
    if (pooledBaseline) {
      // Our stack with one cluster worker per core behind each port too (PostgreSQL only:
      // an embedded database belongs to one process), against the same pooled baseline.
      const pooled = await startOurs(workers);
      await logInAll(pooled.target.url);
      pooledThroughput = await runPaired(pooled.target, pooledBaseline, scenarios.canonical20!);
      rows.push(pooledThroughput.ours);
      if (selected(['products']).length > 0) rows.push(await run(pooled.target, scenarios.products!));
      await stopAll(pooled.services);
      pooledBaseline.stop();
    }
    // The tables list ours first, then the baseline, whatever order they were measured in.
    const order = (row: Row) => (row.target.startsWith('baseline') ? 2 : 0) + (row.target.includes('×') ? 1 : 0);
    rows.sort((a, b) => order(a) - order(b));

    const report = renderReport(rows, {
      database: args.pglite ? 'PGlite (embedded, inside each subgraph process)' : 'PostgreSQL 127.0.0.1:5432',
      seconds: SECONDS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      throughput,
      pooledThroughput,
      cores: availableParallelism(),
      command: `npm run bench${args.pglite ? ' -- --pglite' : ''}`,
      soak,
    });
    console.log(`\n${report}`);
    if (ONLY) return; // a partial run must not replace the committed full one
    const suffix = args.pglite ? '-pglite' : '';
    await writeFile(fromRoot(`docs/benchmark${suffix}.md`), report);
    await writeFile(fromRoot(`docs/benchmark${suffix}.svg`), renderChart(rows));
    console.log(`Wrote docs/benchmark${suffix}.md and docs/benchmark${suffix}.svg`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Stops every service; gracefully when profiling, since a profile is written on exit. */
async function stopAll(services: ServiceProcesses) {
  if (args.profile) for (const name of ['gateway', 'orders', 'notifications', 'inventory', 'users'] as ServiceName[]) await services.signal(name, 'SIGTERM');
  await services.dispose();
}

async function productIdsFrom(url: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  do {
    const reply: any = await graphql(url, 'query($after: String) { products(first: 100, after: $after) { nodes { id sku } pageInfo { hasNextPage endCursor } } }', { after });
    ids.push(...reply.data.products.nodes.map((node: { id: string }) => node.id));
    after = reply.data.products.pageInfo.hasNextPage ? reply.data.products.pageInfo.endCursor : null;
  } while (after);
  return ids;
}

function load(target: Target, scenario: Scenario, seconds: number) {
  return autocannon({
    url: target.url,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    requests: [
      {
        setupRequest: (request) => {
          const token = scenario.token();
          return {
            ...request,
            body: scenario.body(),
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          };
        },
      },
    ],
  });
}

/**
 * Ours and the baseline on one scenario, ROUNDS times, taking turns at going first; each
 * side's figures are the rounds' together (CPU and counts per request over all their
 * requests, the median round's latencies), and ours carries each round's CPU ratio, so
 * that the report shows how far the rounds agree.
 */
async function runPaired(ours: Target, baseline: Target, scenario: Scenario): Promise<Paired> {
  const oursRounds: Row[] = [];
  const baselineRounds: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const warm = round === 0;
    if (round % 2 === 0) {
      oursRounds.push(await run(ours, scenario, warm));
      baselineRounds.push(await run(baseline, scenario, warm));
    } else {
      baselineRounds.push(await run(baseline, scenario, warm));
      oursRounds.push(await run(ours, scenario, warm));
    }
  }
  const roundRatios = oursRounds.map((row, index) => totalCpu(row) / totalCpu(baselineRounds[index]!));
  const throughputRatios = oursRounds.map((row, index) => row.requestsPerSecond / baselineRounds[index]!.requestsPerSecond);
  const rounds = (ratios: number[]) => ratios.map((ratio) => `${ratio.toFixed(2)}×`).join(', ');
  console.log(`${scenario.name}, ${ours.label} against ${baseline.label}: CPU ratio per round ${rounds(roundRatios)}; throughput ${rounds(throughputRatios)}`);
  return { ours: { ...mergeRounds(oursRounds), roundRatios }, baseline: mergeRounds(baselineRounds), throughputRatios };
}

const totalCpu = (row: Row) => Object.values(row.cpuMsPerRequest).reduce((sum, value) => sum + value, 0);

/** Several measurements of one target and scenario as one row, weighted by requests answered. */
function mergeRounds(rounds: Row[]): Row {
  const requests = rounds.reduce((sum, row) => sum + row.requests, 0);
  const weighted = (pick: (row: Row) => Record<string, number> | undefined) => {
    if (!pick(rounds[0]!)) return undefined;
    const keys = Object.keys(pick(rounds[0]!)!);
    return Object.fromEntries(keys.map((key) => [key, rounds.reduce((sum, row) => sum + pick(row)![key]! * row.requests, 0) / requests]));
  };
  const seconds = rounds.reduce((sum, row) => sum + row.seconds, 0);
  return {
    ...rounds.at(-1)!,
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    p50: median(rounds.map((row) => row.p50)),
    p99: median(rounds.map((row) => row.p99)),
    cpuMsPerRequest: weighted((row) => row.cpuMsPerRequest)!,
    sqlPerRequest: weighted((row) => row.sqlPerRequest),
    fetchesPerRequest: weighted((row) => row.fetchesPerRequest),
  };
}

async function run(target: Target, scenario: Scenario, warm = true): Promise<Row> {
  // One answer checked by hand first: a benchmark of error replies would measure nothing.
  const sample = JSON.parse(await (await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(scenario.token() ? { authorization: `Bearer ${scenario.token()}` } : {}) }, body: scenario.body() })).text());
  if (sample.errors) throw new Error(`${scenario.name} on ${target.label} answers errors: ${JSON.stringify(sample.errors)}`);
  if (warm) await load(target, scenario, WARMUP_SECONDS);

  const counters = async () => {
    if (!target.metrics) return null;
    const sql = {} as Record<Subgraph, number>;
    const fetches = {} as Record<Subgraph, number>;
    for (const name of SUBGRAPHS) {
      sql[name] = await metricSum(target.metrics[name], 'db_query_duration_seconds_count');
      fetches[name] = await metricSum(target.metrics.gateway, 'upstream_call_duration_seconds_count', { target: name });
    }
    return { sql, fetches };
  };
  const cpu = () => Object.fromEntries(Object.entries(target.pids).map(([name, pid]) => [name, treeCpuMs(pid)]));

  const countersBefore = await counters();
  const cpuBefore = cpu();
  const databaseBefore = postgresCpuMs();
  const result = await load(target, scenario, SECONDS);
  const databaseAfter = postgresCpuMs();
  const cpuAfter = cpu();
  const countersAfter = await counters();

  const requests = result['2xx'];
  if (result.non2xx > 0 || result.errors > 0) console.warn(`${scenario.name} on ${target.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const perRequest = (after: number, before: number) => (after - before) / requests;
  const cpuPerRequest = {
    ...Object.fromEntries(Object.keys(cpuAfter).map((name) => [name, perRequest(cpuAfter[name]!, cpuBefore[name]!)])),
    database: postgresCpuBetween(databaseBefore, databaseAfter) / requests,
  };
  const row: Row = {
    scenario: scenario.name,
    target: target.label,
    requests,
    seconds: result.duration,
    requestsPerSecond: requests / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: cpuPerRequest,
    rssMb: Object.fromEntries(Object.entries(target.pids).map(([name, pid]) => [name, treeRssMb(pid)])),
    ...(countersBefore && countersAfter
      ? {
          sqlPerRequest: Object.fromEntries(SUBGRAPHS.map((name) => [name, perRequest(countersAfter.sql[name], countersBefore.sql[name])])),
          fetchesPerRequest: Object.fromEntries(SUBGRAPHS.map((name) => [name, perRequest(countersAfter.fetches[name], countersBefore.fetches[name])])),
        }
      : {}),
  };
  console.log(`${row.scenario.padEnd(30)} ${row.target.padEnd(22)} ${row.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  CPU ${totalCpu(row).toFixed(2)} ms/req`);
  return row;
}

/** Memory of every process, sampled every 10 s while the canonical query runs for SOAK_SECONDS. */
async function soakTest(target: Target, scenario: Scenario): Promise<SoakSample[]> {
  const samples: SoakSample[] = [];
  const sample = (second: number) => samples.push({ second, rssMb: Object.fromEntries(Object.entries(target.pids).map(([name, pid]) => [name, treeRssMb(pid)])) });
  sample(0);
  const started = Date.now();
  const timer = setInterval(() => sample(Math.round((Date.now() - started) / 1000)), 10_000);
  const result = await load(target, scenario, SOAK_SECONDS);
  clearInterval(timer);
  // The last sample, unless the interval just took it.
  const second = Math.round((Date.now() - started) / 1000);
  if (samples.at(-1)!.second !== second) sample(second);
  console.log(`soak: ${scenario.name} for ${SOAK_SECONDS} s at ${(result['2xx'] / result.duration).toFixed(0)} req/s; gateway RSS ${samples.map((s) => s.rssMb.gateway!.toFixed(0)).join(' → ')} MB`);
  return samples;
}

await main();
