// `npm run bench:tracing`: what tracing costs. Two stacks of real processes side by side on
// the embedded databases, one with tracing off (no endpoint) and one exporting to an
// OTLP/HTTP receiver at 10 % sampling (parentbased_traceidratio), take the canonical
// query (`{ orders(first: 3) … user { name } … product { name stock } }`, as the admin) in
// alternating rounds of the same load, so that the machine's other work falls on both.
// Prints, per stack, requests/s, median and p99 latency, and CPU per request (every
// process of the stack), then tracing-on / tracing-off ratios of the medians.
//   npm run bench:tracing -- --rounds 4 --seconds 8 --connections 8 [--ratio 0.1]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startOtlpReceiver } from '../tests/support/otlpReceiver.js';
import { serviceProcesses, type ServiceName, type ServiceProcesses } from '../tests/support/processes.js';
import { logIn } from './graphqlClient.js';
import { median, treeCpuMs } from './measure.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '8' },
    ratio: { type: 'string', default: '0.1' },
  },
});
const CANONICAL = '{ orders(first: 3) { nodes { id user { name } items { product { name stock } } } } }';
const NAMES: ServiceName[] = ['users', 'inventory', 'orders', 'notifications', 'gateway'];

interface Stack {
  label: string;
  services: ServiceProcesses;
  pids: number[];
  token: string;
  rounds: { rps: number; p50: number; p99: number; cpuPerRequestMs: number }[];
}

async function startStack(label: string, env: Record<string, string>): Promise<Stack> {
  const services = await serviceProcesses({ LOG_LEVEL: 'warn', ...env });
  const pids: number[] = [];
  for (const name of NAMES) pids.push((await services.start(name)).pid!);
  const token = await logIn(services.url('gateway'), 'admin@example.com', 'admin-password');
  return { label, services, pids, token, rounds: [] };
}

async function round(stack: Stack, seconds: number, warm = false) {
  const cpuBefore = stack.pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0);
  const result = await autocannon({
    url: stack.services.url('gateway'),
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    body: JSON.stringify({ query: CANONICAL }),
    connections: Number(values.connections),
    duration: seconds,
  });
  const cpu = stack.pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${stack.label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  if (!warm) stack.rounds.push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuPerRequestMs: cpu / result.requests.total });
}

async function main() {
  const receiver = await startOtlpReceiver();
  const off = await startStack('tracing off', {});
  const on = await startStack(`tracing on, ${Number(values.ratio) * 100} % sampled`, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: values.ratio!,
  });
  try {
    for (const stack of [off, on]) await round(stack, 3, true);
    for (let i = 0; i < Number(values.rounds); i++) {
      // Alternating which goes first, so neither always runs on a machine just warmed by the other.
      for (const stack of i % 2 === 0 ? [off, on] : [on, off]) await round(stack, Number(values.seconds));
    }
    const summary = (stack: Stack) => ({
      rps: median(stack.rounds.map((r) => r.rps)),
      p50: median(stack.rounds.map((r) => r.p50)),
      p99: median(stack.rounds.map((r) => r.p99)),
      cpu: median(stack.rounds.map((r) => r.cpuPerRequestMs)),
    });
    const [a, b] = [summary(off), summary(on)];
    for (const [stack, s] of [[off, a], [on, b]] as const) {
      console.log(`${stack.label.padEnd(26)} ${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  CPU ${s.cpu.toFixed(2)} ms/request  (rounds: ${stack.rounds.map((r) => r.rps.toFixed(0)).join(', ')} req/s)`);
    }
    console.log(`on / off: req/s ×${(b.rps / a.rps).toFixed(3)}, p50 ×${(b.p50 / a.p50).toFixed(3)}, p99 ×${(b.p99 / a.p99).toFixed(3)}, CPU per request ×${(b.cpu / a.cpu).toFixed(3)}`);
    console.log(`spans received: ${receiver.spans.length} (${new Set(receiver.spans.map((span) => span.traceId)).size} traces)`);
  } finally {
    await off.services.dispose();
    await on.services.dispose();
    await receiver.close();
  }
}

await main();
