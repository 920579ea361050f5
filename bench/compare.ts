// A/B of service settings on the canonical query: the same stack on the bench's dataset
// (PostgreSQL), started with each set of environment variables in turn, in rounds whose
// order alternates (A B, B A, A B …): this machine's speed drifts by up to 30 % within an
// hour, and the second stack of a round tends to run slower than the first, so both must
// fall on every variant alike. Prints CPU per request of every process and of PostgreSQL,
// requests/s and the gateway's RSS, per round and as medians.
//
//   npm run build && node dist/bench/compare.js --variant 'default=' \
//     --variant 'heap1g=NODE_OPTIONS=--max-old-space-size=1024' [--rounds 4] [--seconds 10]
//
// A variant is `name=KEY=value,KEY=value` (nothing after the first `=`: the defaults).
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { serviceProcesses, type ServiceName } from '../tests/support/processes.js';
import { canonicalQuery, createPostgresDatabases, databaseEnv, SECRETS, seedDataset, SERVICE_ENV } from './dataset.js';
import { logIn } from './graphqlClient.js';
import { median, postgresCpuBetween, postgresCpuMs, treeCpuMs, treeRssMb } from './measure.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    first: { type: 'string', default: '20' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});

const SERVICES: ServiceName[] = ['users', 'inventory', 'notifications', 'orders', 'gateway'];
function parseVariant(text: string): { name: string; env: Record<string, string> } {
  const at = text.indexOf('=');
  if (at <= 0) throw new TypeError(`--variant takes name=KEY=value,…; got ${JSON.stringify(text)}`);
  const env: Record<string, string> = {};
  for (const pair of text.slice(at + 1).split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TypeError(`--variant ${text.slice(0, at)}: expected KEY=value, got ${JSON.stringify(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name: text.slice(0, at), env };
}

async function main() {
  const variants = args.variant.map(parseVariant);
  if (variants.length < 2) throw new TypeError('Expected at least two --variant options to compare.');
  const locations = await createPostgresDatabases(args['postgres-url']!);
  await seedDataset(locations);
  const query = canonicalQuery(Number(args.first));
  const results = new Map<string, { cpu: Record<string, number>; rps: number; gatewayRssMb: number }[]>(variants.map((variant) => [variant.name, []]));

  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const variant of round % 2 === 1 ? variants : [...variants].reverse()) {
      const services = await serviceProcesses({ ...SERVICE_ENV, ...databaseEnv(locations), ...variant.env });
      try {
        const pids = {} as Record<string, number>;
        for (const name of SERVICES) pids[name] = (await services.start(name)).pid!;
        const token = await logIn(services.url('gateway'), SECRETS.ADMIN_EMAIL, SECRETS.ADMIN_PASSWORD);
        const load = (seconds: number) =>
          autocannon({
            url: services.url('gateway'),
            connections: Number(args.connections),
            duration: seconds,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query }),
          });
        await load(3); // warm-up: JIT, pools, caches
        const before = Object.fromEntries(SERVICES.map((name) => [name, treeCpuMs(pids[name]!)]));
        const databaseBefore = postgresCpuMs();
        const result = await load(Number(args.seconds));
        const databaseAfter = postgresCpuMs();
        const requests = result['2xx'];
        if (result.non2xx > 0 || result.errors > 0) console.warn(`${variant.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        const cpu: Record<string, number> = Object.fromEntries(SERVICES.map((name) => [name, (treeCpuMs(pids[name]!) - before[name]!) / requests]));
        cpu.database = postgresCpuBetween(databaseBefore, databaseAfter) / requests;
        cpu.total = Object.values(cpu).reduce((sum, value) => sum + value, 0);
        const rps = requests / result.duration;
        const gatewayRssMb = treeRssMb(pids.gateway!);
        results.get(variant.name)!.push({ cpu, rps, gatewayRssMb });
        console.log(`round ${round} ${variant.name.padEnd(16)} ${rps.toFixed(0).padStart(5)} req/s  gateway RSS ${gatewayRssMb.toFixed(0)} MB  CPU ms/req ${Object.entries(cpu).map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join('  ')}`);
      } finally {
        await services.dispose();
      }
    }
  }
  console.log('\nmedians');
  for (const [name, runs] of results) {
    const parts = Object.keys(runs[0]!.cpu);
    console.log(`${name.padEnd(16)} ${median(runs.map((run) => run.rps)).toFixed(0).padStart(5)} req/s  gateway RSS ${median(runs.map((run) => run.gatewayRssMb)).toFixed(0)} MB  CPU ms/req ${parts.map((part) => `${part} ${median(runs.map((run) => run.cpu[part]!)).toFixed(2)}`).join('  ')}`);
  }
}

await main();
