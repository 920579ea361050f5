// `npm run bench:dedupe`: how many subgraph fetches in-flight deduplication saves when
// several clients with one identity send the same query (SUBGRAPH_DEDUPE, gateway/inFlight.ts).
// Two gateways over the same in-process subgraphs (PGlite), one with it and one without,
// eight clients each, alternating rounds; reports per round the requests, the subgraph
// calls, the fetches saved and the req/s ratio. Counts are what to read on a busy machine.
import { startStack } from '../tests/support/stack.js';

process.env.NODE_ENV ??= 'test';
const CLIENTS = 8;
const ROUND_MS = 8000;
const ROUNDS = 3;
const CANONICAL = '{ orders(first: 20) { nodes { id status user { name } items { quantity product { name stock } } } } }';

const stack = await startStack({ demoData: true });
const token = await stack.adminToken();
const without = await stack.addGateway({ SUBGRAPH_DEDUPE: 'false' });

/** Subgraph calls made and fetches saved so far, from a gateway's /metrics. */
async function counts(gatewayUrl: string) {
  const text = await (await fetch(new URL('/metrics', gatewayUrl))).text();
  const sum = (prefix: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { calls: sum('upstream_call_duration_seconds_count{'), saved: sum('gateway_subgraph_fetches_deduplicated_total{') };
}

async function round(gatewayUrl: string) {
  const before = await counts(gatewayUrl);
  const ends = performance.now() + ROUND_MS;
  let requests = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < ends) {
        const answer = await stack.query(CANONICAL, {}, { token, url: gatewayUrl });
        requests += 1;
        if (answer.errors) errors += 1;
      }
    }),
  );
  const after = await counts(gatewayUrl);
  return { requests, errors, perSecond: requests / (ROUND_MS / 1000), calls: after.calls - before.calls, saved: after.saved - before.saved };
}

console.log(`${CLIENTS} clients, one identity, the canonical query of 20 orders, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`);
console.log('| round | on: requests, subgraph calls | saved | calls per request, on / off | req/s on / off |');
console.log('| --- | --- | --- | --- | --- |');
for (let i = 1; i <= ROUNDS; i++) {
  const on = await round(stack.gatewayUrl);
  const off = await round(without.url);
  if (on.errors + off.errors > 0) console.warn(`round ${i}: ${on.errors} errors with dedupe, ${off.errors} without`);
  const perRequest = (r: { calls: number; requests: number }) => (r.calls / r.requests).toFixed(2);
  console.log(`| ${i} | ${on.requests}, ${on.calls} | ${on.saved} | ${perRequest(on)} / ${perRequest(off)} | ${(on.perSecond / off.perSecond).toFixed(2)} |`);
}
await stack.stop();
process.exit(0);
