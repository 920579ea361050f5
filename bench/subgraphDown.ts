// `npm run bench:down`: what a hung inventory subgraph costs each request through the
// gateway, before and after its circuit opens, and how long full answers take to return
// once it answers again. In-process stack on PGlite; inventory sits behind a TCP proxy
// that swallows requests (a hung host: no reset, no answer), so only timeouts end calls.
import { startFaultyProxy, type FaultyProxy } from '../tests/support/faultyProxy.js';
import { startStack } from '../tests/support/stack.js';

process.env.NODE_ENV ??= 'test';
const TIMEOUT_MS = 2000;
const QUERY = '{ orders(first: 5) { nodes { id user { name } items { product { name stock } } } } }';

let proxy: FaultyProxy | undefined;
const stack = await startStack({
  demoData: true,
  env: { SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS) },
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

await timed(20); // warm-up
console.log(`healthy: p50 ${p50(await timed(50))} ms per canonical query`);
proxy!.blackhole = true;
const hung = await timed(10);
console.log(`inventory hung (timeout ${TIMEOUT_MS} ms, defaults otherwise), request by request:`);
console.log(`  ${hung.map((r) => `${r.ms.toFixed(0)} ms${r.partial ? ' (partial)' : ''}`).join(', ')}`);
console.log(`circuit open: p50 ${p50(await timed(50))} ms per request, partial answers`);
proxy!.blackhole = false;
const back = performance.now();
for (;;) {
  if (!(await stack.query(QUERY, {}, { token })).errors) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(`full answers again ${((performance.now() - back) / 1000).toFixed(2)} s after inventory answers again`);
await stack.stop();
await proxy!.close();
