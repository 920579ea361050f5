// The supergraph across "hosts" (network namespaces with latency between them,
// scripts/rehearsal/network.sh): the gateway, each subgraph and a private PostgreSQL each on
// a host of its own. Runs as root on Linux with iproute2, iptables, python3 and PostgreSQL's
// binaries; elsewhere it is skipped, saying why. `npm run rehearsal` measures the figures in
// docs/rehearsal.md; this checks what they show:
// - the gateway fetches users and inventory at once: slowing the link to both costs what
//   slowing one of them costs, not twice that;
// - with inventory's host cut off (packets dropped, no refusal), answers stay partial
//   (orders and customers, products null, one SUBGRAPH_UNAVAILABLE naming inventory);
// - once it is back, answers are whole again;
// - nothing is left behind: no namespace, no process.
// Latency is made large (200 ms round trips) so that a busy machine's noise (tens of ms)
// cannot make a sequential plan look parallel or the other way round.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cannotRun, networkUp, startStack, type Delays, type Network, type Stack } from '../bench/rehearsal/hosts.js';
import { CANONICAL, latencies, median, shapeOf } from '../bench/rehearsal/probe.js';
import { waitFor } from './support/wait.js';

const why = cannotRun();
if (why) console.warn(`the multi-host rehearsal is skipped: ${why}`);
const PREFIX = `sgt${process.pid % 10000}`;
const RTT = 200;

(why ? describe.skip : describe)('the supergraph on separate hosts', () => {
  let network: Network | undefined;
  let stack: Stack | undefined;
  let token: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'supergraph-rehearsal-test-'));

  async function tearDown() {
    await stack?.stop();
    stack = undefined;
    await network?.remove();
    network = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  }

  beforeAll(async () => {
    network = await networkUp(PREFIX);
    stack = await startStack(network, dataDir);
    token = await stack.adminToken();
    await latencies(stack, token, 3);
  }, 300_000);
  afterAll(tearDown, 120_000);

  it('fetches users and inventory in parallel: slowing the links to both costs no more than slowing one', async () => {
    const scenarios: Record<string, Delays> = {
      none: { defaultMs: 0 },
      users: { defaultMs: 0, pairs: [['gateway', 'users', RTT / 2]] },
      both: { defaultMs: 0, pairs: [['gateway', 'users', RTT / 2], ['gateway', 'inventory', RTT / 2]] },
    };
    const samples: Record<string, number[]> = { none: [], users: [], both: [] };
    for (let round = 0; round < 3; round++) {
      for (const name of round % 2 === 0 ? ['none', 'users', 'both'] : ['both', 'users', 'none']) {
        await network!.setDelays(scenarios[name]!);
        samples[name]!.push(...(await latencies(stack!, token, 7)));
      }
    }
    const [users, both] = [median(samples.users!), median(samples.both!)];
    // One slowed link costs at least its round trip (the delay works; a lower bound that no
    // busy machine can shorten) ...
    expect(users).toBeGreaterThanOrEqual(RTT);
    // ... and a second one, fetched at the same time, next to nothing more (in sequence: a
    // whole round trip more). Both medians carry the same noise, so their difference does not.
    expect(both - users).toBeLessThan(0.5 * RTT);
  }, 300_000);

  it('answers partially while inventory’s host is cut off, and wholly again once it is back', async () => {
    await network!.setDelays({ defaultMs: 1 });
    await network!.cut('inventory');
    const shapes: string[] = [];
    const reasons: string[] = [];
    // Until the gateway's circuit to inventory opens (five failed calls), then a few more.
    while (shapes.length < 30 && reasons.filter((reason) => reason === 'circuit_open').length < 3) {
      const answer = await stack!.query(CANONICAL, token);
      shapes.push(shapeOf(answer));
      reasons.push(String(answer.body?.errors?.[0]?.extensions?.reason));
    }
    expect(new Set(shapes)).toEqual(new Set(['partial']));
    expect(reasons).toContain('circuit_open');

    await network!.restore('inventory');
    await waitFor('whole answers after inventory is back', async () => shapeOf(await stack!.query(CANONICAL, token)) === 'whole', { timeoutMs: 60_000, everyMs: 250 });
  }, 300_000);

  it('leaves no namespace and no process behind', async () => {
    await tearDown();
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(namespaces.split('\n').filter((line) => line.startsWith(`${PREFIX}-`))).toEqual([]);
    const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(processes.split('\n').filter((line) => line.includes(dataDir) || line.includes(`supergraph-rehearsal-${PREFIX}`))).toEqual([]);
  }, 120_000);
});
