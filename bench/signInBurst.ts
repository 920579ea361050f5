// `node dist/bench/signInBurst.js`: what a burst of wrong passwords from one address does to
// everyone else. Starts the users subgraph (PGlite, demo customers) and the gateway as real
// processes with the sign-in limits at their documented defaults, fires --burst parallel
// wrong logIns from 127.0.0.2 and, while they run, one logIn from 127.0.0.3 and one
// `me { name }` from 127.0.0.4 (Linux routes all of 127.0.0.0/8 to loopback), and prints how
// each was answered and how long it took, how many guesses reached a password check, and
// whether the gateway's circuit to users opened.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { clientFrom, codesOf, type Client, type Reply } from '../tests/support/clients.js';
import { serviceProcesses } from '../tests/support/processes.js';

const { values: args } = parseArgs({ options: { burst: { type: 'string', default: '200' } } });
const BURST = Number(args.burst);
const GATEWAY_DEFAULTS = { RATE_LIMIT_PER_IP: '1200', RATE_LIMIT_PER_USER: '600', LOGIN_FAILURES_PER_IP: '50', SIGNUPS_PER_IP: '20', SIGN_IN_CONCURRENCY_PER_IP: '2' };
const LOG_IN = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }';

const services = await serviceProcesses();
const clients = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map(clientFrom) as [Client, Client, Client];
const [attacker, signingIn, reading] = clients;
try {
  await services.start('users', { PASSWORD_HASH_MAX_WAIT_MS: '2000' }); // the default (the test settings wait longer)
  await services.start('gateway', GATEWAY_DEFAULTS);
  const url = services.url('gateway');
  const logIn = (from: Client, email: string, password: string) => from.post(url, { query: LOG_IN, variables: { email, password } });
  const sample = async (service: 'gateway' | 'users', name: string, labels: Record<string, string> = {}) => {
    const text = await (await fetch(services.metricsUrl(service))).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  };
  const token = (await logIn(reading, 'ada@example.com', 'customer-password')).body.data.logIn.token as string;
  const before = { unavailable: await sample('gateway', 'upstream_call_duration_seconds_count', { target: 'users', outcome: 'unavailable' }), hashes: await sample('users', 'password_hashes_total') };

  const started = performance.now();
  const burst = Promise.all(Array.from({ length: BURST }, () => logIn(attacker, `burst-${randomUUID()}@example.com`, 'wrong-password')));
  const [signIn, me] = await Promise.all([logIn(signingIn, 'grace@example.com', 'customer-password'), reading.post(url, { query: '{ me { name } }' }, { authorization: `Bearer ${token}` })]);
  const replies = await burst;
  const burstMs = performance.now() - started;

  const byCode = new Map<string, Reply[]>();
  for (const reply of replies) {
    const key = `${reply.status} ${codesOf(reply).join(',') || 'ok'}${reply.body.errors?.[0]?.extensions?.reason ? ` (${reply.body.errors[0].extensions.reason})` : ''}`;
    byCode.set(key, [...(byCode.get(key) ?? []), reply]);
  }
  const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
  console.log(`${BURST} parallel wrong logIns from one address, all answered in ${(burstMs / 1000).toFixed(1)} s:`);
  for (const [key, list] of [...byCode].sort()) {
    const ms = list.map((reply) => reply.ms);
    console.log(`  ${String(list.length).padStart(4)} × ${key}: p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${percentile(ms, 100).toFixed(0)} ms`);
  }
  console.log(`password hashes run by users meanwhile: ${(await sample('users', 'password_hashes_total')) - before.hashes} (0 where users does not count them)`);
  console.log(`logIn from another address: ${signIn.status} ${codesOf(signIn).join(',') || 'ok'} in ${signIn.ms.toFixed(0)} ms`);
  console.log(`me from a third address: ${me.status} ${codesOf(me).join(',') || 'ok'} in ${me.ms.toFixed(0)} ms`);
  console.log(`gateway → users calls failed as unavailable: ${(await sample('gateway', 'upstream_call_duration_seconds_count', { target: 'users', outcome: 'unavailable' })) - before.unavailable}; circuit open now: ${await sample('gateway', 'circuit_breaker_open', { target: 'users' })}`);
  const after = await reading.post(url, { query: '{ me { name } }' }, { authorization: `Bearer ${token}` });
  console.log(`me right after the burst: ${after.status} ${codesOf(after).join(',') || 'ok'} (${after.body.errors?.[0]?.extensions?.reason ?? ''})`);
} finally {
  await Promise.all(clients.map((client) => client.close()));
  await services.dispose();
}
