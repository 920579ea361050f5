// `npm run rehearsal` (root, Linux): the supergraph on several "hosts" of one machine
// (network namespaces with latency between them, scripts/rehearsal/network.sh), against the
// same processes on one loopback. Measures the canonical query (20 orders with customers and
// products) with every link slowed, with only the links between services slowed, and with
// only the gateway's two entity fetches slowed; then cuts inventory's host off, and restores
// it. Prints a Markdown report (docs/rehearsal.md holds one). Leaves nothing behind, even on
// failure or Ctrl-C.
//   --rtt 1,2,5        round-trip times between hosts to try, ms (one-way: half)
//   --rounds 3         rounds per comparison, the scenarios taking turns in each
//   --requests 30      sequential queries per scenario per round
//   --no-loopback      skip the loopback baseline
//   --prefix sg        namespace prefix (REHEARSAL_PREFIX)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cannotRun, loopbackUp, networkUp, SERVICES, type Delays, type Host, type Placement, type Stack } from './rehearsal/hosts.js';
import { CANONICAL, latencies, median, percentile, reasonOf, shapeOf } from './rehearsal/probe.js';

const { values: options } = parseArgs({
  options: {
    rtt: { type: 'string', default: '1,2,5' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '30' },
    'no-loopback': { type: 'boolean', default: false },
    prefix: { type: 'string', default: 'sg' },
  },
});
const rtts = options.rtt.split(',').map(Number);
const rounds = Number(options.rounds);
const requests = Number(options.requests);

const why = cannotRun();
if (why) {
  console.error(`rehearsal: cannot run here: ${why}`);
  process.exit(1);
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'supergraph-rehearsal-'));
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp() {
  while (cleanups.length > 0) await cleanups.pop()!().catch((error) => console.error('cleanup:', error));
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`rehearsal: ${signal}, cleaning up`);
    void cleanUp().then(() => process.exit(130));
  });
}

/** Starts the stack on a placement; both are undone by cleanUp whatever happens. */
async function place(placement: Placement): Promise<{ stack: Stack; token: string }> {
  cleanups.push(() => placement.remove());
  const stack = await startStackOn(placement);
  cleanups.push(() => stack.stop());
  const token = await stack.adminToken();
  await latencies(stack, token, 5); // warm: connections, plans, JIT
  return { stack, token };
}
const startStackOn = async (placement: Placement) => (await import('./rehearsal/hosts.js')).startStack(placement, dataDir);
const undo = async (count: number) => {
  for (let i = 0; i < count; i++) await cleanups.pop()!();
};

const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};
const fmt = (ms: number) => ms.toFixed(1);

try {
  const started = new Date();
  say(`Rehearsal of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: canonical query (20 orders, customers, products), ${requests} sequential queries per scenario per round, ${rounds} rounds, scenarios taking turns.`);
  say();

  let loopbackMedian: number | undefined;
  if (!options['no-loopback']) {
    const { stack, token } = await place(await loopbackUp(options.prefix));
    const all: number[] = [];
    for (let round = 0; round < rounds; round++) all.push(...(await latencies(stack, token, requests)));
    loopbackMedian = median(all);
    say(`Loopback (every process in one namespace): median ${fmt(loopbackMedian)} ms, p90 ${fmt(percentile(all, 0.9))} ms.`);
    say();
    await undo(2);
  }

  const network = await networkUp(options.prefix);
  const { stack, token } = await place(network);
  const services = SERVICES as readonly Host[];
  const scenarios: { name: string; rtt: number; delays: Delays }[] = [{ name: 'no added latency', rtt: 0, delays: { defaultMs: 0 } }];
  for (const rtt of rtts) {
    const d = rtt / 2;
    scenarios.push(
      { name: 'every link', rtt, delays: { defaultMs: d } },
      { name: 'between services (PostgreSQL links not slowed)', rtt, delays: { defaultMs: d, pairs: services.map((service) => [service, 'postgres', 0] as [Host, Host, number]) } },
      { name: 'gateway → users and gateway → inventory only', rtt, delays: { defaultMs: 0, pairs: [['gateway', 'users', d], ['gateway', 'inventory', d]] } },
    );
  }
  const samples = new Map(scenarios.map((scenario) => [scenario, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    // Each round in another order, so that the machine's drift falls on every scenario alike.
    const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
    for (const scenario of order) {
      await network.setDelays(scenario.delays);
      await latencies(stack, token, 3);
      samples.get(scenario)!.push(...(await latencies(stack, token, requests)));
    }
  }
  const base = median(samples.get(scenarios[0]!)!);
  say('| hosts, latency on | RTT between hosts | median ms | p90 ms | added to no latency | added ÷ RTT |');
  say('| --- | --- | --- | --- | --- | --- |');
  for (const scenario of scenarios) {
    const values = samples.get(scenario)!;
    const added = median(values) - base;
    say(`| ${scenario.name} | ${scenario.rtt} ms | ${fmt(median(values))} | ${fmt(percentile(values, 0.9))} | ${scenario.rtt ? `${fmt(added)} ms` : '—'} | ${scenario.rtt ? (added / scenario.rtt).toFixed(2) : '—'} |`);
  }
  if (loopbackMedian !== undefined) say(`\nHosts with no added latency against loopback: ${fmt(base)} / ${fmt(loopbackMedian)} ms (the router and the delayer's own cost).`);
  say();

  // Inventory's host cut off, with every link at the middle RTT.
  const rtt = rtts[Math.floor(rtts.length / 2)]!;
  await network.setDelays({ defaultMs: rtt / 2 });
  await latencies(stack, token, 3);
  await network.cut('inventory');
  const cut: { ms: number; shape: string; reason: string }[] = [];
  while (cut.length < 30 && cut.filter((each) => each.reason === 'circuit_open').length < 5) {
    const answer = await stack.query(CANONICAL, token);
    cut.push({ ms: answer.ms, shape: shapeOf(answer), reason: reasonOf(answer) });
  }
  say(`Inventory's host cut off (every link ${rtt} ms RTT, SUBGRAPH_TIMEOUT_MS=2000): ${cut.length} queries, ${cut.filter((each) => each.shape === 'partial').length} of them partial (orders and customers, products null, one SUBGRAPH_UNAVAILABLE naming inventory), ${cut.filter((each) => each.shape === 'other').length} other.`);
  say();
  say('| query | ms | answer | reason |');
  say('| --- | --- | --- | --- |');
  cut.forEach((each, i) => {
    say(`| ${i + 1} | ${fmt(each.ms)} | ${each.shape} | ${each.reason} |`);
  });
  await network.restore('inventory');
  const restored = performance.now();
  let queries = 0;
  let answer;
  do {
    answer = await stack.query(CANONICAL, token);
    queries += 1;
    if (shapeOf(answer) !== 'whole') await new Promise((resolve) => setTimeout(resolve, 100));
  } while (shapeOf(answer) !== 'whole' && performance.now() - restored < 60_000);
  say();
  say(
    shapeOf(answer) === 'whole'
      ? `Inventory's host restored: whole answers again after ${fmt((performance.now() - restored) / 1000)} s (${queries} queries, one every 100 ms; the circuit lets a probe through BREAKER_HALF_OPEN_MS = 5 s after it opened).`
      : 'Inventory\'s host restored: still no whole answer after 60 s.',
  );
  const after = await latencies(stack, token, requests);
  say(`After recovery: median ${fmt(median(after))} ms (before the cut, at the same RTT: ${fmt(median(samples.get(scenarios.find((each) => each.rtt === rtt && each.name === 'every link')!)!))} ms).`);
} finally {
  await cleanUp();
}
