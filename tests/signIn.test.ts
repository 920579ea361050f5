// Sign-in under attack: every attempt is counted before its password is checked (so a burst
// cannot slip past the count), password hashing in the users service is bounded (a burst
// gets fast "busy" answers, never a queue into a timeout), one address may have only a few
// sign-ins in flight, oversized emails are refused before any look-up, and sign-ups are
// limited per address. Real gateways and subgraphs over HTTP; several client addresses come
// from 127.0.0.x source addresses. The burst with everything at its defaults, on real
// processes, is tests/signInBurst.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createMetrics } from '../platform/metrics.js';
import { createKdfQueue } from '../subgraphs/users/kdfQueue.js';
import { clientFrom, codesOf, type Client } from './support/clients.js';
import { startFaultyProxy } from './support/faultyProxy.js';
import { bootUsers } from './support/services.js';
import { startStack, type Stack } from './support/stack.js';
import { counterValue, waitFor } from './support/wait.js';

const LOG_IN = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }';
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }';

let stack: Stack;
const clients: Client[] = [];
/** A client from its own address (127.0.0.x), closed after the file. */
const client = (address: string) => {
  const made = clientFrom(address);
  clients.push(made);
  return made;
};

beforeAll(async () => {
  stack = await startStack({ demoData: true });
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((each) => each.close()));
  await stack?.stop();
});

/** Password hashes the users service has run for `purpose` so far. */
const hashes = (purpose: 'logIn' | 'signUp') => counterValue(stack.users.metrics.registry, 'password_hashes_total', 'purpose', purpose);
const logIn = (from: Client, url: string, email: string, password: string) => from.post(url, { query: LOG_IN, variables: { email, password } });
describe('a burst of wrong passwords from one address', () => {
  it('at most LOGIN_FAILURES_PER_IP reach the password check, however many arrive at once', async () => {
    // No cap on sign-ins in flight here: the count alone must hold the line.
    const { url } = await stack.addGateway({ LOGIN_FAILURES_PER_IP: '10' });
    const attacker = client('127.0.0.12');
    const before = await hashes('logIn');
    const replies = await Promise.all(Array.from({ length: 200 }, () => logIn(attacker, url, `burst-${randomUUID()}@example.com`, 'wrong-password')));
    const checked = replies.filter((reply) => codesOf(reply).join() === 'UNAUTHENTICATED').length;
    // Refused by the gateway's count (429), or by users as busy if its hash queue waited too long.
    const refused = replies.filter((reply) => codesOf(reply).join() === 'RATE_LIMITED').length;
    expect(checked + refused).toBe(200);
    expect(checked).toBeLessThanOrEqual(10);
    expect(replies.filter((reply) => reply.status === 429)).toHaveLength(190);
    expect((await hashes('logIn')) - before).toBe(checked);
  });

  it('a right password gives its attempt back: only failures use up LOGIN_FAILURES_PER_IP', async () => {
    const { url } = await stack.addGateway({ LOGIN_FAILURES_PER_IP: '3' });
    const from = client('127.0.0.5');
    const answers = [];
    for (const password of ['wrong-1', 'wrong-2', 'customer-password', 'customer-password', 'customer-password', 'wrong-3', 'customer-password']) {
      answers.push(codesOf(await logIn(from, url, 'alan@example.com', password)).join() || 'ok');
    }
    expect(answers).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'ok', 'ok', 'ok', 'UNAUTHENTICATED', 'RATE_LIMITED']);
  });
});

describe('sign-ins in flight per address (SIGN_IN_CONCURRENCY_PER_IP)', () => {
  it('past the cap, another sign-in from that address is refused at once as busy; other addresses are not', async () => {
    // Users behind a proxy that holds every request: the sign-ins stay in flight until it cuts them.
    const proxy = await startFaultyProxy(stack.subgraphUrls.users);
    proxy.blackhole = true;
    try {
      const { url } = await stack.addGateway({ SIGN_IN_CONCURRENCY_PER_IP: '2', USERS_URL: proxy.url, REQUEST_TIMEOUT_MS: '120000' });
      const [first, second] = [client('127.0.0.6'), client('127.0.0.7')];
      const held = [logIn(first, url, 'ada@example.com', 'one'), logIn(first, url, 'ada@example.com', 'two')];
      await waitFor('two sign-ins held at the users service', async () => proxy.connections >= 2);
      const refused = await logIn(first, url, 'ada@example.com', 'three');
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', reason: 'busy', retryAfterSeconds: 1 }) })]);
      const other = logIn(second, url, 'ada@example.com', 'four');
      await waitFor('the other address’s sign-in held too', async () => proxy.connections >= 3);
      // Cut: the held ones fail (the gateway never retries a mutation) and leave the count.
      proxy.cutAll();
      for (const reply of await Promise.all([...held, other])) expect(codesOf(reply)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      proxy.blackhole = false;
      expect(codesOf(await logIn(first, url, 'ada@example.com', 'customer-password'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});

describe('password hashing in the users service (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE)', () => {
  /** A piece of work that runs until the test says so. */
  const held = () => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    return { done, finish };
  };

  it('runs at most `concurrency` at once, queues `queueLength`, and refuses the next at once as busy', async () => {
    const metrics = createMetrics('users');
    const queue = createKdfQueue({ concurrency: 2, queueLength: 1, maxWaitMs: 60_000 }, metrics);
    let running = 0;
    let most = 0;
    const works = [held(), held(), held()];
    const runs = works.map((work) =>
      queue.run('logIn', async () => {
        running += 1;
        most = Math.max(most, running);
        await work.done;
        running -= 1;
      }),
    );
    await expect(queue.run('signUp', async () => {})).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED', reason: 'busy', retryAfterSeconds: 1 } });
    expect(running).toBe(2);
    works[0]!.finish();
    await runs[0];
    await waitFor('the queued one to start', async () => running === 2);
    works[1]!.finish();
    works[2]!.finish();
    await Promise.all(runs);
    expect(most).toBe(2);
    expect(await counterValue(metrics.registry, 'password_hashes_total', 'purpose', 'logIn')).toBe(3);
    expect(await counterValue(metrics.registry, 'password_hashes_refused_total', 'purpose', 'signUp')).toBe(1);
    // With room again, work runs.
    await expect(queue.run('signUp', async () => 'hashed')).resolves.toBe('hashed');
  });

  it('gives up a place in the queue after `maxWaitMs`, as busy, and the turn passes to the next in line', async () => {
    const metrics = createMetrics('users');
    const queue = createKdfQueue({ concurrency: 1, queueLength: 2, maxWaitMs: 20 }, metrics);
    const work = held();
    const running = queue.run('logIn', () => work.done);
    await expect(queue.run('logIn', async () => 'never')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED', reason: 'busy' } });
    work.finish();
    await running;
    await expect(queue.run('logIn', async () => 'next')).resolves.toBe('next');
    expect(await counterValue(metrics.registry, 'password_hashes_refused_total', 'purpose', 'logIn')).toBe(1);
  });
});

describe('oversized emails', () => {
  const longEmail = `${'x'.repeat(250)}@example.com`;

  it('are refused as BAD_USER_INPUT before any look-up, hash or count, and cost the address no attempt', async () => {
    const { url } = await stack.addGateway({ LOGIN_FAILURES_PER_IP: '1' });
    const from = client('127.0.0.8');
    const [statements, logInHashes] = [stack.statements().users, await hashes('logIn')];
    for (let i = 0; i < 3; i++) {
      const reply = await logIn(from, url, longEmail, 'whatever-password');
      expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'email' }) })]);
    }
    expect(stack.statements().users).toBe(statements);
    expect(await hashes('logIn')).toBe(logInHashes);
    // The one failure this address may have is still there.
    expect(codesOf(await logIn(from, url, 'ada@example.com', 'wrong'))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await logIn(from, url, 'ada@example.com', 'customer-password'))).toEqual(['RATE_LIMITED']);
  });

  const redisUrl = process.env.TEST_REDIS_URL;
  (redisUrl ? it : it.skip)('never become a Redis key (TEST_REDIS_URL)', async () => {
    const prefix = `test-email-${process.pid}-${Date.now()}`;
    const users = await bootUsers({ env: { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix, LOGIN_ATTEMPTS_PER_ACCOUNT: '10' } });
    const redis = new Redis(redisUrl!);
    try {
      const running = await users.listen(0, '127.0.0.1');
      const from = client('127.0.0.9');
      expect(codesOf(await logIn(from, running.url, longEmail, 'whatever-password'))).toEqual(['BAD_USER_INPUT']);
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
      expect(codesOf(await logIn(from, running.url, 'someone@example.com', 'whatever-password'))).toEqual(['UNAUTHENTICATED']);
      expect(await redis.keys(`${prefix}*`)).toEqual([`${prefix}:login-account:someone@example.com`]);
    } finally {
      redis.disconnect();
      await users.stop();
    }
  });
});

describe('sign-ups per address (SIGNUPS_PER_IP)', () => {
  it('counts sign-ups that made an account or met a taken email, not refused input; past the limit 429', async () => {
    const { url } = await stack.addGateway({ SIGNUPS_PER_IP: '2' });
    const [from, elsewhere] = [client('127.0.0.10'), client('127.0.0.11')];
    const signUp = (who: Client, email: string, password = 'long-enough-password') => who.post(url, { query: SIGN_UP, variables: { input: { email, name: 'New', password } } });
    expect(codesOf(await signUp(from, `new-${randomUUID()}@example.com`, 'short'))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await signUp(from, `new-${randomUUID()}@example.com`))).toEqual([]);
    expect(codesOf(await signUp(from, 'ada@example.com'))).toEqual(['CONFLICT']);
    const refused = await signUp(from, `new-${randomUUID()}@example.com`);
    expect(refused.status).toBe(429);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(codesOf(await signUp(elsewhere, `new-${randomUUID()}@example.com`))).toEqual([]);
  });

  it('allows one sign-in or sign-up per request', async () => {
    const { url } = await stack.addGateway({});
    const reply = await client('127.0.0.13').post(url, {
      query: 'mutation { logIn(email: "ada@example.com", password: "guess") { token } signUp(input: { email: "x@example.com", name: "X", password: "long-enough-password" }) { token } }',
    });
    expect(codesOf(reply)).toEqual(['BAD_USER_INPUT']);
  });
});
