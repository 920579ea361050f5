// A burst of wrong passwords from one address, against the gateway and the users service as
// real processes with every limit at its documented default: the burst is refused fast, at
// most LOGIN_FAILURES_PER_IP of it reaches a password check, and meanwhile a sign-in and a
// read from other addresses go through with the gateway's circuit to users closed. The
// client addresses are 127.0.0.x source addresses.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { clientFrom, codesOf, type Client, type Reply } from './support/clients.js';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';

/** The gateway's documented defaults (the test settings turn its limits off). */
const GATEWAY_DEFAULTS = { RATE_LIMIT_PER_IP: '1200', RATE_LIMIT_PER_USER: '600', LOGIN_FAILURES_PER_IP: '50', SIGNUPS_PER_IP: '20', SIGN_IN_CONCURRENCY_PER_IP: '2' };
const LOG_IN = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }';

let services: ServiceProcesses;
const [attacker, signingIn, reading] = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map(clientFrom) as [Client, Client, Client];

beforeAll(async () => {
  services = await serviceProcesses();
  await services.start('users', { PASSWORD_HASH_MAX_WAIT_MS: '2000' }); // PGlite with the demo customers; password hashing at its defaults
  await services.start('gateway', GATEWAY_DEFAULTS);
}, 180_000);
afterAll(async () => {
  await Promise.all([attacker, signingIn, reading].map((client) => client.close()));
  await services?.dispose();
});

const logIn = (from: Client, email: string, password: string) => from.post(services.url('gateway'), { query: LOG_IN, variables: { email, password } });

/** A sample from a service's /metrics (0 when absent): the sum over label sets that include `labels`. */
async function sample(service: 'gateway' | 'users', name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(services.metricsUrl(service))).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * Signs in as a client should: RATE_LIMITED with reason "busy" (nothing was checked) is tried
 * again after its retryAfterSeconds. The reply carries the attempts, and the time from the
 * first try to the last answer.
 */
async function signInPolitely(from: Client, email: string, password: string): Promise<Reply & { attempts: number }> {
  const started = performance.now();
  for (let attempts = 1; ; attempts++) {
    const reply = await logIn(from, email, password);
    const busy = reply.body.errors?.find((error: any) => error.extensions?.reason === 'busy');
    if (!busy || attempts === 10) return { ...reply, attempts, ms: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, busy.extensions.retryAfterSeconds * 1000));
  }
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;

it('200 parallel wrong logIns from one address: at most LOGIN_FAILURES_PER_IP checked, the rest refused; a sign-in and a read from other addresses go through; the circuit to users stays closed', async () => {
  const adaToken = (await logIn(reading, 'ada@example.com', 'customer-password')).body.data.logIn.token as string;
  const [failuresBefore, hashesBefore] = [await sample('gateway', 'upstream_call_duration_seconds_count', { target: 'users', outcome: 'unavailable' }), await sample('users', 'password_hashes_total')];

  const burst = Promise.all(Array.from({ length: 200 }, () => logIn(attacker, `burst-${randomUUID()}@example.com`, 'wrong-password')));
  const [signIn, me] = await Promise.all([
    signInPolitely(signingIn, 'grace@example.com', 'customer-password'),
    reading.post(services.url('gateway'), { query: '{ me { name } }' }, { authorization: `Bearer ${adaToken}` }),
  ]);
  const replies = await burst;

  expect(codesOf(signIn)).toEqual([]);
  expect(signIn.body.data.logIn.token).toEqual(expect.any(String));
  expect(me.body).toEqual({ data: { me: { name: expect.any(String) } } });
  const checked = replies.filter((reply) => codesOf(reply).join() === 'UNAUTHENTICATED');
  const refused = replies.filter((reply) => codesOf(reply).join() === 'RATE_LIMITED');
  expect(checked.length + refused.length).toBe(200); // nothing else: no timeout, no SUBGRAPH_UNAVAILABLE
  expect(checked.length).toBeLessThanOrEqual(50);
  for (const reply of refused) expect(reply.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  // Every check is counted in users: the burst's and grace's own.
  expect((await sample('users', 'password_hashes_total')) - hashesBefore).toBe(checked.length + 1);
  expect(await sample('gateway', 'upstream_call_duration_seconds_count', { target: 'users', outcome: 'unavailable' })).toBe(failuresBefore);
  expect(await sample('gateway', 'circuit_breaker_open', { target: 'users' })).toBe(0);

  const ms = (list: Reply[]) => list.map((reply) => reply.ms);
  console.log(
    `200 parallel wrong logIns from one address: ${checked.length} checked (p50 ${percentile(ms(checked), 50).toFixed(0)} ms), ` +
      `${refused.length} refused (p50 ${percentile(ms(refused), 50).toFixed(0)} ms, p99 ${percentile(ms(refused), 99).toFixed(0)} ms); ` +
      `meanwhile a logIn from another address took ${signIn.ms.toFixed(0)} ms (${signIn.attempts} attempt${signIn.attempts > 1 ? 's' : ''}) and a me query ${me.ms.toFixed(0)} ms`,
  );
}, 120_000);
