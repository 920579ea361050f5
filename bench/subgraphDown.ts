// `npm run bench:down`: what an unavailable inventory subgraph costs each request through
// the gateway, before and after its circuit opens, and how long full answers take to
// return once it answers again. Two kinds of unavailable: dead (the process is gone, so
// connections are refused at once) and hung (requests swallowed, no reset, no answer, so
// only the timeout ends a call). In-process stack on PGlite; inventory sits behind a TCP
// proxy that plays both parts.
import { startFaultyProxy, type FaultyProxy } from '../tests/support/faultyProxy.js';
import { startStack } from '../tests/support/stack.js';

process.env.NODE_ENV ??= 'test';
const TIMEOUT_MS = 2000;
const HALF_OPEN_MS = 5000; // the default, stated here so the recovery figure can be read against it
const QUERY = '{ orders(first: 5) { nodes { id user { name } items { product { name stock } } } } }';

let proxy: FaultyProxy | undefined;
const stack = await startStack({
  demoData: true,
  env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS) },
  gatewayRoute: async (name, url) => (name === 'inventory' ? (proxy = await startFaultyProxy(url)).url : url),
});
const token = await stack.adminToken();

async function timed(count: number) {
  const results: { ms: number; partial: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await stack.query(QUERY, {}, { token });
    results.push({ ms: performance.now() - started, partial: Boolean(answer.errors) });
  }
  return results;
}
const p50 = (results: { ms: number }[]) => results.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(results.length / 2)]!.toFixed(1);

async function scenario(label: string, fail: (on: boolean) => void) {
  fail(true);
  const first = await timed(10);
  console.log(`inventory ${label}, request by request (circuit closed, then opening):`);
  console.log(`  ${first.map((r) => `${r.ms.toFixed(0)} ms${r.partial ? ' (partial)' : ''}`).join(', ')}`);
  console.log(`  circuit open: p50 ${p50(await timed(50))} ms per request, partial answers`);
  fail(false);
  const back = performance.now();
  for (;;) {
    if (!(await stack.query(QUERY, {}, { token })).errors) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(`  full answers again ${((performance.now() - back) / 1000).toFixed(2)} s after inventory answers again (half-open after ${HALF_OPEN_MS} ms)`);
}

await timed(20); // warm-up
console.log(`healthy: p50 ${p50(await timed(50))} ms per canonical query`);
await scenario('dead (connections cut, new ones refused)', (on) => {
  proxy!.refuse = on;
  if (on) proxy!.cutAll();
});
await scenario(`hung (timeout ${TIMEOUT_MS} ms)`, (on) => (proxy!.blackhole = on));
await stack.stop();
await proxy!.close();
